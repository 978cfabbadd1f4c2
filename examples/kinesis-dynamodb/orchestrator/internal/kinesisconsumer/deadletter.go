package kinesisconsumer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
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

// DeadLetterExpiry is the dead-letter table's TTL attribute: the Unix time in seconds after which
// DynamoDB deletes the item (cmd/bootstrap enables TTL on it, see awsenv.EnsureTTL). Items are up
// to 400 KB each, and a table that keeps every one for ever only grows.
const DeadLetterExpiry = "expires_at"

// DynamoDBDeadLetters keeps one item per record, keyed "<stream>:<shard id>:<sequence number>",
// so a record dead-lettered again (after a replica stopped before its checkpoint) is one item.
type DynamoDBDeadLetters struct {
	client DynamoDBAPI
	table  string
	stream string
	// retention is how long after dead_lettered_at an item expires (DeadLetterExpiry).
	retention time.Duration
	// Now stamps dead_lettered_at. Default time.Now.
	Now func() time.Time
}

// NewDynamoDBDeadLetters returns the dead letters of stream kept in table, each for retention.
func NewDynamoDBDeadLetters(client DynamoDBAPI, table, stream string, retention time.Duration) *DynamoDBDeadLetters {
	return &DynamoDBDeadLetters{client: client, table: table, stream: stream, retention: retention, Now: time.Now}
}

// maxItemBytes is DynamoDB's item size limit, 400 KB counting attribute names and values
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html). A
// record may be up to 1 MiB (10 MiB on some streams), so its payload is cut to what fits.
const maxItemBytes = 400 * 1024

// maxReasonBytes caps the reason kept: an error may quote the payload it failed on.
const maxReasonBytes = 4 * 1024

// Put stores the record. Its payload is kept as bytes, as it arrived (it may not be UTF-8), cut
// to what fits under DynamoDB's item limit; payload_bytes (its full size) and payload_sha256
// tell a cut one, which can be read again from the stream at shard_id and sequence_number while
// the stream retains it.
func (d *DynamoDBDeadLetters) Put(ctx context.Context, shardID string, r kinesistypes.Record, reason error) error {
	seq := aws.ToString(r.SequenceNumber)
	sum := sha256.Sum256(r.Data)
	now := d.Now()
	item := map[string]types.AttributeValue{
		DeadLetterKey:      str(d.stream + ":" + shardID + ":" + seq),
		"stream_name":      str(d.stream),
		"shard_id":         str(shardID),
		"sequence_number":  str(seq),
		"partition_key":    str(aws.ToString(r.PartitionKey)),
		"reason":           str(truncate(reason.Error(), maxReasonBytes)),
		"dead_lettered_at": str(now.UTC().Format(time.RFC3339Nano)),
		DeadLetterExpiry:   num(now.Add(d.retention).Unix()),
		"payload_bytes":    num(int64(len(r.Data))),
		"payload_sha256":   str(hex.EncodeToString(sum[:])),
	}
	if len(r.Data) > 0 {
		// DynamoDB refuses an empty binary value.
		payload := r.Data
		room := maxItemBytes - itemBytes(item) - len("payload") - len("payload_truncated") - 1
		if len(payload) > room {
			payload = payload[:room]
			item["payload_truncated"] = &types.AttributeValueMemberBOOL{Value: true}
		}
		item["payload"] = &types.AttributeValueMemberB{Value: payload}
	}
	_, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(d.table), Item: item})
	return err
}

// itemBytes is at least the size DynamoDB counts for item: names and values in bytes (a number
// is counted as its digits, more than DynamoDB's packed form).
func itemBytes(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value) + 1
		case *types.AttributeValueMemberB:
			n += len(v.Value)
		case *types.AttributeValueMemberBOOL:
			n++
		}
	}
	return n
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
