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
	"sync"
	"sync/atomic"
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
	if err := NewDynamoDBDeadLetters(table, "dead-letters", "requests", time.Hour).Put(context.Background(), "shardId-0", r, errors.New("not a ScoreRequest")); err != nil {
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

// refusingDeadLetters refuses every record for good while refuse is set, as a table that is
// missing or misconfigured does, and keeps them once it is fixed.
type refusingDeadLetters struct {
	memoryDeadLetters
	refuse atomic.Bool
}

func (d *refusingDeadLetters) Put(ctx context.Context, shard string, r kinesistypes.Record, reason error) error {
	if d.refuse.Load() {
		return errors.New("ValidationException: One or more parameter values were invalid")
	}
	return d.memoryDeadLetters.Put(ctx, shard, r, reason)
}

// A record over DynamoDB's item limit is dead-lettered, not refused, and the shard reads on.
func TestARecordOverTheItemLimitIsDeadLettered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.put("s0", "", strings.Repeat("x", 500_000), body("a"), body("b"))
		c, stop := runWith(t, k, cps, NewDynamoDBDeadLetters(&sizedTable{}, "dead-letters", "requests", time.Hour), h)
		settle(time.Minute)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"a", "b"}) || cps.get("s0").Checkpoint != "3" {
			t.Errorf("stored %v, checkpoint %s; want [a b] stored past the poison record, checkpoint 3", h.ids(), cps.get("s0").Checkpoint)
		}
		if got, want := [2]int64{c.cfg.Metrics.DeadLettered.Load(), c.cfg.Metrics.DeadLetterFailures.Load()}, [2]int64{1, 0}; got != want {
			t.Errorf("dead-lettered, refused = %v, want %v", got, want)
		}
	})
}

// A poison record the dead-letter table refuses for good is never skipped: the shard pauses
// with its lease kept and its checkpoint before the record, readiness says why, and once the
// table is fixed the record is kept and the shard reads on.
func TestARecordTheDeadLetterTableRefusesPausesItsShard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.put("s0", "", "not json", body("a"), body("b"))
		dead := &refusingDeadLetters{}
		dead.refuse.Store(true)
		c, stop := runWith(t, k, cps, dead, h)
		settle(time.Minute)
		if got := cps.get("s0"); len(h.ids()) != 0 || got.Checkpoint != TrimHorizon || got.Owner != "a" {
			t.Errorf("stored %v, lease %+v while the table refuses; want nothing stored, the lease held at %s", h.ids(), got, TrimHorizon)
		}
		if err := c.Stalled(); err == nil || !strings.Contains(err.Error(), "dead-lettering") {
			t.Errorf("Stalled() = %v while the dead-letter table refuses, want it reported for readiness", err)
		}
		if got, want := [2]int64{c.cfg.Metrics.DeadLetterFailures.Load(), c.cfg.Metrics.LeasesReleasedOnError.Load()}, [2]int64{1, 0}; got != want {
			t.Errorf("refused, leases released on error = %v, want %v", got, want)
		}
		dead.refuse.Store(false)
		settle(time.Minute)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"a", "b"}) || cps.get("s0").Checkpoint != "3" || len(dead.records) != 1 {
			t.Errorf("stored %v, checkpoint %s, dead letters %v once fixed; want [a b], 3 and the poison record", h.ids(), cps.get("s0").Checkpoint, dead.records)
		}
		if err := c.Stalled(); err != nil {
			t.Errorf("Stalled() = %v once the table takes the record, want nil", err)
		}
	})
}

// A KPL-aggregated record is dead-lettered saying so, not as a record that is not JSON, and the
// shard reads on.
func TestAnAggregatedRecordIsDeadLetteredAsSuch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.put("s0", "", string(kplMagic)+"\x1a\x07user-01", body("a"))
		dead := &memoryDeadLetters{}
		_, stop := runWith(t, k, cps, dead, h)
		settle(10 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if len(dead.reasons) != 1 || !strings.Contains(dead.reasons[0], "KPL-aggregated") || !slices.Equal(h.ids(), []string{"a"}) {
			t.Errorf("dead letters %q, stored %v; want the aggregate dead-lettered as such and [a] stored", dead.reasons, h.ids())
		}
	})
}

// runWith starts a consumer owned by "a" with these dead letters.
func runWith(t *testing.T, k API, cps Leases, dead DeadLetters, h Handler) (*Consumer, func() error) {
	t.Helper()
	c := New(k, func(int64) Leases { return cps }, dead, h, Config{
		StreamName: "requests", Owner: "a", MaxAttempts: 10, TidyGrace: time.Second,
		Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	// A test that fails before it stops the consumer stops it here (see runAs).
	t.Cleanup(func() { _ = stop() })
	return c, stop
}
