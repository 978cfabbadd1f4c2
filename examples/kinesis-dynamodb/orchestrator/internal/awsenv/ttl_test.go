package awsenv

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

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

// Bootstrap turns TTL on once, on the attribute asked for, and again is a no-op; TTL the user put on
// another attribute is named, not moved.
func TestEnsureTTLTurnsTTLOnOnce(t *testing.T) {
	table := &ttlTable{status: types.TimeToLiveStatusDisabled}
	for range 2 {
		if err := EnsureTTL(context.Background(), table, "dead-letters", "expires_at"); err != nil {
			t.Fatal(err)
		}
	}
	if table.updates != 1 || table.attr != "expires_at" {
		t.Errorf("%d updates, TTL on %q; want one, on expires_at", table.updates, table.attr)
	}
	other := &ttlTable{status: types.TimeToLiveStatusEnabled, attr: "ttl"}
	if err := EnsureTTL(context.Background(), other, "dead-letters", "expires_at"); err == nil || !strings.Contains(err.Error(), `"ttl"`) {
		t.Errorf("EnsureTTL on a table with TTL on another attribute = %v, want an error naming it", err)
	}
}
