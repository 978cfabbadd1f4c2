package kinesisconsumer

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// scanTable answers Scan with its items, as a table holding only this stream's would, and
// records deletions; the other writes are not used here.
type scanTable struct {
	DynamoDBAPI
	items   []map[string]types.AttributeValue
	deleted []string
}

func (f *scanTable) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return &dynamodb.ScanOutput{Items: f.items}, nil
}

func (f *scanTable) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.deleted = append(f.deleted, in.Key[LeaseKey].(*types.AttributeValueMemberS).Value)
	return &dynamodb.DeleteItemOutput{}, nil
}

func TestAStreamCreatedAgainDoesNotResumeFromTheOldCheckpoints(t *testing.T) {
	lease := func(key, cp string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{LeaseKey: str(key), "streamName": str("orders"), "shardId": str("shardId-0"), "checkpoint": str(cp), "leaseCounter": num(7)}
	}
	table := &scanTable{items: []map[string]types.AttributeValue{
		lease("orders:1000:shardId-0", "4960"), // the stream deleted since
		lease("orders:2000:shardId-0", TrimHorizon),
	}}
	got, err := NewDynamoDBLeases(table, "leases", "orders", 2000, 10*time.Second, slog.New(slog.DiscardHandler)).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key != "orders:2000:shardId-0" || got[0].Checkpoint != TrimHorizon || got[0].Counter != 7 {
		t.Errorf("List() = %+v, want the current stream's lease alone", got)
	}
	if len(table.deleted) != 1 || table.deleted[0] != "orders:1000:shardId-0" {
		t.Errorf("deleted %v, want the old stream's lease", table.deleted)
	}
}

// A replica that joined the stream before it was created again finds the new incarnation's
// leases: it must leave them alone, as dropping them would set their shards' checkpoints back
// to the start at each of its rounds, and say its own incarnation is gone.
func TestALeaseOfALaterIncarnationIsNotDropped(t *testing.T) {
	table := &scanTable{items: []map[string]types.AttributeValue{
		{LeaseKey: str("orders:1000:shardId-0"), "streamName": str("orders"), "checkpoint": str("4960"), "leaseCounter": num(3)},
		{LeaseKey: str("orders:2000:shardId-0"), "streamName": str("orders"), "checkpoint": str("17"), "leaseCounter": num(7)},
	}}
	_, err := NewDynamoDBLeases(table, "leases", "orders", 1000, 10*time.Second, slog.New(slog.DiscardHandler)).List(context.Background())
	if !errors.Is(err, errStreamCreatedAgain) {
		t.Errorf("List() error %v, want %v", err, errStreamCreatedAgain)
	}
	if len(table.deleted) != 0 {
		t.Errorf("deleted %v, want none: those leases are the new stream's", table.deleted)
	}
}

// getTable answers GetItem from items by key, and fails a Scan: reading one lease must not
// scan the table.
type getTable struct {
	DynamoDBAPI
	items map[string]map[string]types.AttributeValue
	gets  []*dynamodb.GetItemInput
}

func (f *getTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.gets = append(f.gets, in)
	return &dynamodb.GetItemOutput{Item: f.items[in.Key[LeaseKey].(*types.AttributeValueMemberS).Value]}, nil
}

func (f *getTable) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return nil, errors.New("scanned the table to read one lease")
}

func TestALeaseIsReadByAConsistentGetItem(t *testing.T) {
	key := "orders:2000:shardId-0"
	table := &getTable{items: map[string]map[string]types.AttributeValue{
		key: {LeaseKey: str(key), "shardId": str("shardId-0"), "leaseOwner": str("a"), "leaseCounter": num(7), "checkpoint": str("4960")},
	}}
	leases := NewDynamoDBLeases(table, "leases", "orders", 2000, 10*time.Second, slog.New(slog.DiscardHandler))
	got, err := leases.Get(context.Background(), key)
	if err != nil || got.Owner != "a" || got.Counter != 7 || got.Checkpoint != "4960" {
		t.Fatalf("Get() = %+v, %v; want the stored lease", got, err)
	}
	if len(table.gets) != 1 || !aws.ToBool(table.gets[0].ConsistentRead) {
		t.Errorf("GetItem calls %+v, want one consistent read", table.gets)
	}
	if _, err := leases.Get(context.Background(), "orders:2000:shardId-9"); !errors.Is(err, ErrNoLease) {
		t.Errorf("Get() of a missing lease = %v, want ErrNoLease", err)
	}
}

// writeTable records the conditional writes it is sent and fails their condition while refuse
// is set, as DynamoDB does when the item moved on.
type writeTable struct {
	DynamoDBAPI
	refuse  bool
	updates []*dynamodb.UpdateItemInput
	deletes []*dynamodb.DeleteItemInput
}

func (f *writeTable) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.updates = append(f.updates, in)
	if f.refuse {
		return nil, &types.ConditionalCheckFailedException{}
	}
	return &dynamodb.UpdateItemOutput{Attributes: map[string]types.AttributeValue{}}, nil
}

func (f *writeTable) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.deletes = append(f.deletes, in)
	if f.refuse {
		return nil, &types.ConditionalCheckFailedException{}
	}
	return &dynamodb.DeleteItemOutput{}, nil
}

// Finishing an aged-out lease must not overwrite a checkpoint written since it was listed, and
// only a finished lease may be deleted; a failed condition is ErrLeaseLost, for the next sync.
func TestFinishAndDeleteAreConditional(t *testing.T) {
	ctx := context.Background()
	table := &writeTable{}
	leases := NewDynamoDBLeases(table, "leases", "orders", 2000, 10*time.Second, slog.New(slog.DiscardHandler))
	l := Lease{Key: "orders:2000:shardId-0", ShardID: "shardId-0", Owner: "a", Counter: 7, Checkpoint: "4960"}
	if err := leases.Finish(ctx, l); err != nil {
		t.Fatal(err)
	}
	up := table.updates[0]
	if aws.ToString(up.ConditionExpression) != "checkpoint = :from" || up.ExpressionAttributeValues[":from"].(*types.AttributeValueMemberS).Value != "4960" ||
		up.ExpressionAttributeValues[":end"].(*types.AttributeValueMemberS).Value != ShardEnd {
		t.Errorf("Finish sent %q with %v, want SHARD_END conditional on the listed checkpoint", aws.ToString(up.ConditionExpression), up.ExpressionAttributeValues)
	}
	if err := leases.Delete(ctx, l); err != nil {
		t.Fatal(err)
	}
	del := table.deletes[0]
	if aws.ToString(del.ConditionExpression) != "checkpoint = :end" || del.ExpressionAttributeValues[":end"].(*types.AttributeValueMemberS).Value != ShardEnd {
		t.Errorf("Delete sent %q with %v, want it conditional on SHARD_END", aws.ToString(del.ConditionExpression), del.ExpressionAttributeValues)
	}
	table.refuse = true
	if err := leases.Finish(ctx, l); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Finish on a failed condition = %v, want ErrLeaseLost", err)
	}
	if err := leases.Delete(ctx, l); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Delete on a failed condition = %v, want ErrLeaseLost", err)
	}
}

// slowTable answers each Scan page and each DeleteItem after wait, unless the call's context
// ends first: a table shared by many streams, or holding many stale leases, answering slowly.
type slowTable struct {
	DynamoDBAPI
	pages   [][]map[string]types.AttributeValue
	wait    time.Duration
	deleted []string
}

func (f *slowTable) pause(ctx context.Context) error {
	select {
	case <-time.After(f.wait):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *slowTable) Scan(ctx context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	if err := f.pause(ctx); err != nil {
		return nil, err
	}
	page := 0
	if in.ExclusiveStartKey != nil {
		page, _ = strconv.Atoi(in.ExclusiveStartKey[LeaseKey].(*types.AttributeValueMemberS).Value)
	}
	out := &dynamodb.ScanOutput{Items: f.pages[page]}
	if page+1 < len(f.pages) {
		out.LastEvaluatedKey = map[string]types.AttributeValue{LeaseKey: str(strconv.Itoa(page + 1))}
	}
	return out, nil
}

func (f *slowTable) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if err := f.pause(ctx); err != nil {
		return nil, err
	}
	f.deleted = append(f.deleted, in.Key[LeaseKey].(*types.AttributeValueMemberS).Value)
	return &dynamodb.DeleteItemOutput{}, nil
}

// Each page of the lease table and each stale lease's deletion gets CallTimeout of its own:
// under one bound for the whole listing, a slow table's later pages never came, and the shard
// sync failed at every round however healthy each call was.
func TestEachPageAndDeletionOfAListingHasItsOwnBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const lease = 10 * time.Second
		item := func(key string) map[string]types.AttributeValue {
			return map[string]types.AttributeValue{LeaseKey: str(key), "streamName": str("requests"), "shardId": str("shardId-0"), "leaseCounter": num(1)}
		}
		// Each call takes 60% of its bound: together, three are far past one.
		table := &slowTable{wait: CallTimeout(lease) * 6 / 10, pages: [][]map[string]types.AttributeValue{
			{item("requests:1000:shardId-0")}, // a stale lease, deleted in passing
			{},                                // the rest of a table shared with other streams
		}}
		leases := NewDynamoDBLeases(table, "leases", "requests", 2000, lease, slog.New(slog.DiscardHandler))
		c := New(&fakeKinesis{}, func(int64) Leases { return leases }, &memoryDeadLetters{}, &recorder{}, Config{
			StreamName: "requests", LeaseDuration: lease, Logger: slog.New(slog.DiscardHandler),
		})
		if err := c.syncShards(context.Background(), leases); err != nil {
			t.Fatalf("syncing shards over a slow table: %v", err)
		}
		if !slices.Equal(table.deleted, []string{"requests:1000:shardId-0"}) {
			t.Errorf("deleted %v, want the stale lease", table.deleted)
		}

		// A page that never answers still fails the listing, within its own bound.
		table.wait = time.Hour
		start := time.Now()
		if _, err := leases.List(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("List() over a hung table = %v, want its deadline exceeded", err)
		}
		if took := time.Since(start); took != CallTimeout(lease) {
			t.Errorf("a hung page took %v, want CallTimeout %v", took, CallTimeout(lease))
		}
	})
}
