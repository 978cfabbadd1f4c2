package results

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDBKey is the results table's partition key, a string attribute.
const DynamoDBKey = FieldID

// fingerprintAttr holds the Fingerprint of the request a result answers.
const fingerprintAttr = "request_sha256"

// writeAttr holds the Entry.WriteID of the write that stored the item.
const writeAttr = "write_id"

// DynamoDBAPI is the part of *dynamodb.Client the sink uses.
type DynamoDBAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DynamoDB stores each result as one item keyed by request id: score (N), model_version (S),
// reason_codes (L of S, as order matters and the list may be empty), scored_at (S, RFC 3339),
// request_sha256 (S, the request's Fingerprint) and write_id (S, the Entry's WriteID, when it
// has one). Conflicting requests are recorded on the item too: see recordConflict.
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
func (s *DynamoDB) Put(ctx context.Context, entries []Entry) (PutResult, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		got  = PutResult{Conflicts: map[int]error{}}
	)
	slots := make(chan struct{}, max(s.Parallel, 1))
	for i, e := range entries {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			stored, err := s.put(ctx, e)
			var conflict *Conflict
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.As(err, &conflict):
				got.Conflicts[i] = conflict
			case err != nil:
				errs = append(errs, fmt.Errorf("storing %q: %w", e.Result.GetId(), err))
			case stored:
				got.Stored = append(got.Stored, i)
			default:
				got.StoredBefore = append(got.StoredBefore, i)
			}
		})
	}
	wg.Wait()
	slices.Sort(got.Stored)
	slices.Sort(got.StoredBefore)
	return got, errors.Join(errs...)
}

// put stores e: stored reports whether this write stored it (false: an earlier delivery of the
// same request had), and a *Conflict error a different request stored under its id.
func (s *DynamoDB) put(ctx context.Context, e Entry) (stored bool, err error) {
	fingerprint, err := Fingerprint(e.Request)
	if err != nil {
		return false, err
	}
	r := e.Result
	reasons := make([]types.AttributeValue, len(r.GetReasonCodes()))
	for i, code := range r.GetReasonCodes() {
		reasons[i] = &types.AttributeValueMemberS{Value: code}
	}
	item := map[string]types.AttributeValue{
		DynamoDBKey:       &types.AttributeValueMemberS{Value: r.GetId()},
		FieldScore:        &types.AttributeValueMemberN{Value: strconv.FormatFloat(r.GetScore(), 'f', -1, 64)},
		FieldModelVersion: &types.AttributeValueMemberS{Value: r.GetModelVersion()},
		FieldReasonCodes:  &types.AttributeValueMemberL{Value: reasons},
		"scored_at":       &types.AttributeValueMemberS{Value: s.Now().UTC().Format(time.RFC3339Nano)},
		fingerprintAttr:   &types.AttributeValueMemberS{Value: fingerprint},
	}
	if e.WriteID != "" {
		item[writeAttr] = &types.AttributeValueMemberS{Value: e.WriteID}
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      item,
		// First write wins, so a redelivered request can neither duplicate nor change a result.
		ConditionExpression: aws.String("attribute_not_exists(" + DynamoDBKey + ")"),
		// The item that is there already, to tell a redelivery from a conflict, or from a try of
		// this write that landed unseen, without a read.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var exists *types.ConditionalCheckFailedException
	if !errors.As(err, &exists) {
		return err == nil, err
	}
	// A failed condition is no proof of an earlier delivery: a try of this very write whose
	// answer was lost (one that timed out after DynamoDB applied it, or the first of this call,
	// which the SDK re-sent after a dropped connection) leaves the item that fails it. Only the
	// stored item can tell, by the write id on it.
	had, wrote, err := s.stored(ctx, r.GetId(), exists.Item)
	if err != nil {
		return false, fmt.Errorf("reading the stored item back: %w", err)
	}
	// "" is a result stored before fingerprints were: the id is all there is to go by.
	if had == "" || had == fingerprint {
		// With this write's id on it, a try of this write landed unseen and stored the result;
		// else an earlier delivery of this request stored it, and the job is done.
		return e.WriteID != "" && wrote == e.WriteID, nil
	}
	conflict := &Conflict{ID: r.GetId(), Stored: had, Got: fingerprint}
	if err := s.recordConflict(ctx, e.Request, conflict); err != nil {
		return false, fmt.Errorf("recording %w: %w", conflict, err)
	}
	return false, conflict
}

// probeCondition can never hold, so a probe never writes.
const probeCondition = "attribute_exists(" + DynamoDBKey + ") AND attribute_not_exists(" + DynamoDBKey + ")"

// Probe makes the same call as Put, a conditional PutItem, under a condition that always
// fails: the ConditionalCheckFailed answer proves the table exists and takes this caller's
// writes (a DescribeTable or a read would not prove the write permission), and stores nothing.
func (s *DynamoDB) Probe(ctx context.Context) error {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                map[string]types.AttributeValue{DynamoDBKey: &types.AttributeValueMemberS{Value: "orchestrator-probe"}},
		ConditionExpression: aws.String(probeCondition),
	})
	var refused *types.ConditionalCheckFailedException
	if err == nil || errors.As(err, &refused) {
		return nil
	}
	return err
}
