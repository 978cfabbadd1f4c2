package kinesisconsumer

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// DeadLetters keeps records that cannot be handled, with their payload, for someone to look
// into and replay: a stream has no dead-letter queue of its own, and a checkpoint moves past them.
type DeadLetters interface {
	Put(ctx context.Context, shardID string, r kinesistypes.Record, reason error) error
}

// DeadLetterKey is the dead-letter table's partition key, a string attribute.
const DeadLetterKey = "dead_letter_id"

// DynamoDBDeadLetters keeps one item per record, keyed "<stream>:<shard id>:<sequence number>",
// so a record dead-lettered again (after a replica stopped before its checkpoint) is one item.
type DynamoDBDeadLetters struct {
	client DynamoDBAPI
	table  string
	stream string
	// Now stamps dead_lettered_at. Default time.Now.
	Now func() time.Time
}

// NewDynamoDBDeadLetters returns the dead letters of stream kept in table.
func NewDynamoDBDeadLetters(client DynamoDBAPI, table, stream string) *DynamoDBDeadLetters {
	return &DynamoDBDeadLetters{client: client, table: table, stream: stream, Now: time.Now}
}

// Put stores the record. Its payload is kept as bytes, as it arrived: it may not be UTF-8.
func (d *DynamoDBDeadLetters) Put(ctx context.Context, shardID string, r kinesistypes.Record, reason error) error {
	seq := aws.ToString(r.SequenceNumber)
	item := map[string]types.AttributeValue{
		DeadLetterKey:      str(d.stream + ":" + shardID + ":" + seq),
		"stream_name":      str(d.stream),
		"shard_id":         str(shardID),
		"sequence_number":  str(seq),
		"partition_key":    str(aws.ToString(r.PartitionKey)),
		"reason":           str(reason.Error()),
		"dead_lettered_at": str(d.Now().UTC().Format(time.RFC3339Nano)),
	}
	if len(r.Data) > 0 {
		// DynamoDB refuses an empty binary value.
		item["payload"] = &types.AttributeValueMemberB{Value: r.Data}
	}
	_, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item})
	return err
}
