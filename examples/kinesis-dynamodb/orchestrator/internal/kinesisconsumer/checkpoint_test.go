package kinesisconsumer

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type fakeTable map[string]map[string]types.AttributeValue

func (f fakeTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if in.ConsistentRead == nil || !*in.ConsistentRead {
		panic("checkpoint read without ConsistentRead")
	}
	return &dynamodb.GetItemOutput{Item: f[in.Key[CheckpointKey].(*types.AttributeValueMemberS).Value]}, nil
}

func (f fakeTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f[in.Item[CheckpointKey].(*types.AttributeValueMemberS).Value] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func TestDynamoDBCheckpointsRoundTrip(t *testing.T) {
	table := fakeTable{}
	a := NewDynamoDBCheckpoints(table, "checkpoints", "stream-a")
	b := NewDynamoDBCheckpoints(table, "checkpoints", "stream-b")
	a.Now = func() time.Time { return time.Unix(0, 0) }
	ctx := context.Background()

	if cp, err := a.Get(ctx, "shard-0"); err != nil || cp != (Checkpoint{}) {
		t.Fatalf("Get() before any Put = %+v, %v; want the zero checkpoint", cp, err)
	}
	want := Checkpoint{SequenceNumber: "4960", Finished: true}
	if err := a.Put(ctx, "shard-0", want); err != nil {
		t.Fatal(err)
	}
	if cp, err := a.Get(ctx, "shard-0"); err != nil || cp != want {
		t.Errorf("Get() = %+v, %v; want %+v", cp, err, want)
	}
	// Shard ids repeat across streams; the key keeps them apart.
	if cp, _ := b.Get(ctx, "shard-0"); cp != (Checkpoint{}) {
		t.Errorf("stream-b sees stream-a's checkpoint %+v", cp)
	}
	if _, ok := table["stream-a/shard-0"]; !ok {
		t.Errorf("keys %v, want stream-a/shard-0", table)
	}
}
