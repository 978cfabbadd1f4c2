package kinesisconsumer

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Every dead letter expires its retention after it was written, so the table's TTL deletes it.
func TestADeadLetterExpiresAfterItsRetention(t *testing.T) {
	table := &sizedTable{}
	d := NewDynamoDBDeadLetters(table, "dead-letters", "requests", 336*time.Hour)
	at := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return at }
	r := kinesistypes.Record{Data: []byte("x"), SequenceNumber: aws.String("1"), PartitionKey: aws.String("k")}
	if err := d.Put(context.Background(), "shardId-0", r, errors.New("bad")); err != nil {
		t.Fatal(err)
	}
	got, ok := table.items[0][DeadLetterExpiry].(*types.AttributeValueMemberN)
	if want := strconv.FormatInt(at.Add(336*time.Hour).Unix(), 10); !ok || got.Value != want {
		t.Errorf("%s = %v, want the number %s (14 days on, Unix seconds)", DeadLetterExpiry, table.items[0][DeadLetterExpiry], want)
	}
}

// ttlTable is a table's TTL as DynamoDB keeps it: UpdateTimeToLive refuses to enable it again.
type ttlTable struct {
	status  types.TimeToLiveStatus
	attr    string
	updates int
}

func (f *ttlTable) DescribeTimeToLive(context.Context, *dynamodb.DescribeTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error) {
	return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: &types.TimeToLiveDescription{TimeToLiveStatus: f.status, AttributeName: aws.String(f.attr)}}, nil
}

func (f *ttlTable) UpdateTimeToLive(_ context.Context, in *dynamodb.UpdateTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
	if f.status == types.TimeToLiveStatusEnabled {
		return nil, errors.New("ValidationException: TimeToLive is already enabled")
	}
	f.updates++
	f.status, f.attr = types.TimeToLiveStatusEnabled, aws.ToString(in.TimeToLiveSpecification.AttributeName)
	return &dynamodb.UpdateTimeToLiveOutput{}, nil
}

// Bootstrap turns TTL on once, on the expiry attribute, and again is a no-op; TTL the user put on
// another attribute is named, not moved.
func TestEnsureExpiryTurnsTTLOnOnce(t *testing.T) {
	table := &ttlTable{status: types.TimeToLiveStatusDisabled}
	for range 2 {
		if err := EnsureExpiry(context.Background(), table, "dead-letters"); err != nil {
			t.Fatal(err)
		}
	}
	if table.updates != 1 || table.attr != DeadLetterExpiry {
		t.Errorf("%d updates, TTL on %q; want one, on %q", table.updates, table.attr, DeadLetterExpiry)
	}
	other := &ttlTable{status: types.TimeToLiveStatusEnabled, attr: "ttl"}
	if err := EnsureExpiry(context.Background(), other, "dead-letters"); err == nil || !strings.Contains(err.Error(), `"ttl"`) {
		t.Errorf("EnsureExpiry on a table with TTL on another attribute = %v, want an error naming it", err)
	}
}
