package results

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

// DynamoDBKey is the results table's partition key, a string attribute.
const DynamoDBKey = "id"

// DynamoDBAPI is the part of *dynamodb.Client the sink uses.
type DynamoDBAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// DynamoDB stores each result as one item keyed by request id: score (N), model_version (S),
// reason_codes (L of S, as order matters and the list may be empty) and scored_at (S, RFC 3339).
type DynamoDB struct {
	client DynamoDBAPI
	table  string
	// Now stamps scored_at. Default time.Now.
	Now func() time.Time
	// Parallel bounds the writes of one Put in flight at once. Default 16.
	Parallel int
}

// NewDynamoDB returns a sink writing to table, whose partition key is the string attribute id.
func NewDynamoDB(client DynamoDBAPI, table string) *DynamoDB {
	return &DynamoDB{client: client, table: table, Now: time.Now, Parallel: 16}
}

// Put writes every result with its own conditional PutItem, in parallel, so a batch costs
// about one round trip. BatchWriteItem would be one request, but it cannot carry a condition,
// so a redelivered message would overwrite the stored result (and its scored_at) with a
// rescore, perhaps from a newer model. TransactWriteItems can carry conditions, but costs
// twice the write capacity and fails whole when one item conflicts: atomicity buys nothing
// for independent results.
func (s *DynamoDB) Put(ctx context.Context, results []*scoringv1.ScoreResponse) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	slots := make(chan struct{}, max(s.Parallel, 1))
	for _, r := range results {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := s.put(ctx, r); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("storing %q: %w", r.GetId(), err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *DynamoDB) put(ctx context.Context, r *scoringv1.ScoreResponse) error {
	reasons := make([]types.AttributeValue, len(r.GetReasonCodes()))
	for i, code := range r.GetReasonCodes() {
		reasons[i] = &types.AttributeValueMemberS{Value: code}
	}
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			DynamoDBKey:     &types.AttributeValueMemberS{Value: r.GetId()},
			"score":         &types.AttributeValueMemberN{Value: strconv.FormatFloat(r.GetScore(), 'f', -1, 64)},
			"model_version": &types.AttributeValueMemberS{Value: r.GetModelVersion()},
			"reason_codes":  &types.AttributeValueMemberL{Value: reasons},
			"scored_at":     &types.AttributeValueMemberS{Value: s.Now().UTC().Format(time.RFC3339Nano)},
		},
		// First write wins, so a redelivered request can neither duplicate nor change a result.
		ConditionExpression: aws.String("attribute_not_exists(" + DynamoDBKey + ")"),
	})
	var exists *types.ConditionalCheckFailedException
	if errors.As(err, &exists) {
		return nil // Stored by an earlier delivery: the job is done.
	}
	return err
}
