package kinesisconsumer

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
