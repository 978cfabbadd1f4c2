package kinesisconsumer

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Checkpoint is how far a shard has been handled.
type Checkpoint struct {
	// SequenceNumber is that of the last record whose result is stored (or that was skipped as
	// poison); "" before the first. Reading resumes after it.
	SequenceNumber string
	// Finished means the shard was closed by a split or merge and has been read to its end.
	Finished bool
}

// Checkpoints keeps checkpoints across restarts.
type Checkpoints interface {
	// Get returns the shard's checkpoint, the zero Checkpoint if it has none.
	Get(ctx context.Context, shardID string) (Checkpoint, error)
	Put(ctx context.Context, shardID string, cp Checkpoint) error
}

// CheckpointKey is the checkpoint table's partition key, a string attribute.
const CheckpointKey = "shard_id"

// DynamoDBAPI is the part of *dynamodb.Client the checkpoints use.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// DynamoDBCheckpoints keeps one item per shard in a table whose partition key is the string
// attribute shard_id. Its value is "<stream>/<shard id>", since shard ids repeat across streams
// and one table may serve several.
type DynamoDBCheckpoints struct {
	client DynamoDBAPI
	table  string
	stream string
	// Now stamps updated_at. Default time.Now.
	Now func() time.Time
}

// NewDynamoDBCheckpoints returns checkpoints for stream kept in table.
func NewDynamoDBCheckpoints(client DynamoDBAPI, table, stream string) *DynamoDBCheckpoints {
	return &DynamoDBCheckpoints{client: client, table: table, stream: stream, Now: time.Now}
}

func (d *DynamoDBCheckpoints) key(shardID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{CheckpointKey: &types.AttributeValueMemberS{Value: d.stream + "/" + shardID}}
}

// Get reads a checkpoint. The read is strongly consistent: an eventually consistent one could
// return the checkpoint before the last and replay a batch.
func (d *DynamoDBCheckpoints) Get(ctx context.Context, shardID string) (Checkpoint, error) {
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(d.table),
		Key:            d.key(shardID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Checkpoint{}, err
	}
	var cp Checkpoint
	if v, ok := out.Item["sequence_number"].(*types.AttributeValueMemberS); ok {
		cp.SequenceNumber = v.Value
	}
	if v, ok := out.Item["finished"].(*types.AttributeValueMemberBOOL); ok {
		cp.Finished = v.Value
	}
	return cp, nil
}

// Put writes a checkpoint. It is unconditional: one consumer owns a stream (see Consumer), so
// there is no other writer to race with.
func (d *DynamoDBCheckpoints) Put(ctx context.Context, shardID string, cp Checkpoint) error {
	item := d.key(shardID)
	item["stream_name"] = &types.AttributeValueMemberS{Value: d.stream}
	item["finished"] = &types.AttributeValueMemberBOOL{Value: cp.Finished}
	item["updated_at"] = &types.AttributeValueMemberS{Value: d.Now().UTC().Format(time.RFC3339Nano)}
	if cp.SequenceNumber != "" {
		item["sequence_number"] = &types.AttributeValueMemberS{Value: cp.SequenceNumber}
	}
	_, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item})
	return err
}
