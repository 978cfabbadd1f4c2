package kinesisconsumer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"example.com/kinesis-dynamodb/orchestrator/internal/ops"
)

// dynamoItemLimit is DynamoDB's documented item size limit, 400 KB.
const dynamoItemLimit = 400 * 1024

// sizedTable is a DynamoDB table that, as DynamoDB does, refuses an item over 400 KB (attribute
// names and values, numbers counted as DynamoDB packs them) with a ValidationException, and
// keeps the items it takes.
type sizedTable struct {
	DynamoDBAPI
	items []map[string]types.AttributeValue
}

func (f *sizedTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	size := 0
	for name, v := range in.Item {
		size += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			size += len(v.Value)
		case *types.AttributeValueMemberB:
			size += len(v.Value)
		case *types.AttributeValueMemberN:
			size += (len(strings.TrimLeft(v.Value, "-0"))+1)/2 + 1
		case *types.AttributeValueMemberBOOL:
			size++
		}
	}
	if size > dynamoItemLimit {
		return nil, errors.New("ValidationException: Item size has exceeded the maximum allowed size")
	}
	f.items = append(f.items, in.Item)
	return &dynamodb.PutItemOutput{}, nil
}

// A record bigger than DynamoDB's item limit is still kept: its payload cut to what fits, with
// its full size, its SHA-256 and where to read it again in the stream.
func TestADeadLetterAlwaysFitsInAnItem(t *testing.T) {
	table := &sizedTable{}
	data := bytes.Repeat([]byte("x"), 500_000)
	r := kinesistypes.Record{Data: data, SequenceNumber: aws.String("4960"), PartitionKey: aws.String("k")}
	if err := NewDynamoDBDeadLetters(table, "dead-letters", "requests").Put(context.Background(), "shardId-0", r, errors.New("not a ScoreRequest")); err != nil {
		t.Fatalf("Put of a 500,000-byte record: %v, want it kept", err)
	}
	item := table.items[0]
	sum := sha256.Sum256(data)
	payload := item["payload"].(*types.AttributeValueMemberB).Value
	if !bytes.HasPrefix(data, payload) || len(payload) < dynamoItemLimit-4096 {
		t.Errorf("payload of %d bytes, want the record's first bytes, as many as fit", len(payload))
	}
	if got := item["payload_bytes"].(*types.AttributeValueMemberN).Value; got != "500000" {
		t.Errorf("payload_bytes %s, want 500000", got)
	}
	if got := item["payload_sha256"].(*types.AttributeValueMemberS).Value; got != hex.EncodeToString(sum[:]) {
		t.Errorf("payload_sha256 %s, want the whole record's", got)
	}
	if got, _ := item["payload_truncated"].(*types.AttributeValueMemberBOOL); got == nil || !got.Value {
		t.Errorf("payload_truncated %v, want true", got)
	}
	if item["shard_id"].(*types.AttributeValueMemberS).Value != "shardId-0" || item["sequence_number"].(*types.AttributeValueMemberS).Value != "4960" {
		t.Errorf("item %v, want the shard and sequence number to read it again", item)
	}
}

// refusingDeadLetters refuses every record for good, as a table that is missing or
// misconfigured does.
type refusingDeadLetters struct{}

func (refusingDeadLetters) Put(context.Context, string, kinesistypes.Record, error) error {
	return errors.New("ValidationException: One or more parameter values were invalid")
}

// A poison record the dead-letter table refuses for good is skipped and counted apart, rather
// than holding its shard (and the valid records behind it) up for ever; and one over
// DynamoDB's item limit is dead-lettered, not refused.
func TestAPoisonRecordNeverHoldsItsShardUpForEver(t *testing.T) {
	for _, tc := range []struct {
		name        string
		deadLetters func() DeadLetters
		kept        int64
		refused     int64
	}{
		{"over the item limit", func() DeadLetters { return NewDynamoDBDeadLetters(&sizedTable{}, "dead-letters", "requests") }, 1, 0},
		{"refused for good", func() DeadLetters { return refusingDeadLetters{} }, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
				k.put("s0", "", strings.Repeat("x", 500_000), body("a"), body("b"))
				metrics := &ops.Metrics{}
				c := New(k, func(int64) Leases { return cps }, tc.deadLetters(), h, Config{
					StreamName: "requests", Owner: "a", MaxAttempts: 10, TidyGrace: time.Second,
					Metrics: metrics, Logger: slog.New(slog.DiscardHandler),
				})
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error)
				go func() { done <- c.Run(ctx) }()
				settle(time.Minute)
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(h.ids(), []string{"a", "b"}) || cps.get("s0").Checkpoint != "3" {
					t.Errorf("stored %v, checkpoint %s; want [a b] stored past the poison record, checkpoint 3", h.ids(), cps.get("s0").Checkpoint)
				}
				if got, want := [3]int64{metrics.DeadLettered.Load(), metrics.DeadLetterFailures.Load(), metrics.LeasesReleasedOnError.Load()}, [3]int64{tc.kept, tc.refused, 0}; got != want {
					t.Errorf("dead-lettered, refused, leases released on error = %v, want %v", got, want)
				}
			})
		})
	}
}
