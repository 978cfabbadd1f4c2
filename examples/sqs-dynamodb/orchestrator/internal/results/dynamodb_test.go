package results

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
)

// fakeTable honours the sink's conditions as DynamoDB does, and fails the ids in throttle.
// With noOld it does not return the old item on a failed condition, as some emulators do not.
type fakeTable struct {
	mu       sync.Mutex
	items    map[string]map[string]types.AttributeValue
	throttle map[string]bool
	missing  bool // the table does not exist
	noOld    bool
	calls    int
	reads    int
}

func (f *fakeTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.missing {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such table")}
	}
	id := in.Item["id"].(*types.AttributeValueMemberS).Value
	if f.throttle[id] {
		return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}
	}
	old, exists := f.items[id]
	switch aws.ToString(in.ConditionExpression) {
	case probeCondition:
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("never")}
	case "attribute_not_exists(id)":
		if exists {
			e := &types.ConditionalCheckFailedException{Message: aws.String("exists")}
			if in.ReturnValuesOnConditionCheckFailure == types.ReturnValuesOnConditionCheckFailureAllOld && !f.noOld {
				e.Item = old
			}
			return nil, e
		}
	default:
		return nil, errors.New("unexpected condition: a redelivery could overwrite the stored result")
	}
	if f.items == nil {
		f.items = map[string]map[string]types.AttributeValue{}
	}
	f.items[id] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (f *fakeTable) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if !aws.ToBool(in.ConsistentRead) {
		return nil, errors.New("an eventually consistent read may miss a result just stored")
	}
	return &dynamodb.GetItemOutput{Item: f.items[in.Key["id"].(*types.AttributeValueMemberS).Value]}, nil
}

// UpdateItem implements the one update the sink makes: recording a conflict.
func (f *fakeTable) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	item := f.items[in.Key["id"].(*types.AttributeValueMemberS).Value]
	fp := in.ExpressionAttributeValues[":fp"].(*types.AttributeValueMemberS).Value
	seen, _ := item["conflict_sha256s"].(*types.AttributeValueMemberSS)
	if item == nil || (seen != nil && contains(seen.Value, fp)) {
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("recorded")}
	}
	list, _ := item["conflicts"].(*types.AttributeValueMemberL)
	if list == nil {
		list = &types.AttributeValueMemberL{}
	}
	list.Value = append(list.Value, in.ExpressionAttributeValues[":new"].(*types.AttributeValueMemberL).Value...)
	item["conflicts"] = list
	if seen == nil {
		seen = &types.AttributeValueMemberSS{}
	}
	seen.Value = append(seen.Value, fp)
	item["conflict_sha256s"] = seen
	return &dynamodb.UpdateItemOutput{}, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sink(table *fakeTable, at time.Time) *DynamoDB {
	s := NewDynamoDB(table, "results")
	s.Now = func() time.Time { return at }
	return s
}

// entry pairs a request (whose amount tells requests apart) with its result.
func entry(id string, amount, score float64) Entry {
	return Entry{
		Request: &scoringv1.ScoreRequest{Id: id, NumericFeatures: map[string]float64{"amount": amount}},
		Result:  &scoringv1.ScoreResponse{Id: id, Score: score},
	}
}

func TestDynamoDBStoresEveryAttribute(t *testing.T) {
	table := &fakeTable{}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := entry("a", 1, 0.972809)
	a.Result.ModelVersion, a.Result.ReasonCodes = "m-1", []string{"AMOUNT_HIGH", "VELOCITY_HIGH"}
	got, err := sink(table, at).Put(context.Background(), []Entry{a, entry("b", 2, 0)})
	if err != nil || len(got.Conflicts) != 0 || !slices.Equal(got.Stored, []int{0, 1}) || len(got.StoredBefore) != 0 {
		t.Fatalf("Put() = %+v, %v; want both stored", got, err)
	}
	item := table.items["a"]
	if got := item["score"].(*types.AttributeValueMemberN).Value; got != "0.972809" {
		t.Errorf("score = %s, want 0.972809", got)
	}
	if got := item["model_version"].(*types.AttributeValueMemberS).Value; got != "m-1" {
		t.Errorf("model_version = %s", got)
	}
	codes := item["reason_codes"].(*types.AttributeValueMemberL).Value
	if len(codes) != 2 || codes[0].(*types.AttributeValueMemberS).Value != "AMOUNT_HIGH" {
		t.Errorf("reason_codes = %v, want [AMOUNT_HIGH VELOCITY_HIGH] in order", codes)
	}
	if got := item["scored_at"].(*types.AttributeValueMemberS).Value; got != "2026-01-02T03:04:05Z" {
		t.Errorf("scored_at = %s", got)
	}
	want, _ := Fingerprint(a.Request)
	if got := item["request_sha256"].(*types.AttributeValueMemberS).Value; got != want || len(got) != 64 {
		t.Errorf("request_sha256 = %s, want %s", got, want)
	}
	// An empty list, where a string set could not be empty at all.
	if codes := table.items["b"]["reason_codes"].(*types.AttributeValueMemberL).Value; len(codes) != 0 {
		t.Errorf("b's reason_codes = %v, want empty", codes)
	}
}

func TestDynamoDBReportsFailuresAndStoresTheRest(t *testing.T) {
	table := &fakeTable{throttle: map[string]bool{"b": true}}
	got, err := sink(table, time.Now()).Put(context.Background(), []Entry{entry("a", 1, 0), entry("b", 1, 0), entry("c", 1, 0)})
	var throttled *types.ProvisionedThroughputExceededException
	if !errors.As(err, &throttled) {
		t.Fatalf("Put() = %v, want the throttling error", err)
	}
	if !slices.Equal(got.Stored, []int{0, 2}) {
		t.Errorf("stored %v, want [0 2]: a and c are settled though b failed", got.Stored)
	}
	if len(table.items) != 2 {
		t.Errorf("%d items stored, want a and c", len(table.items))
	}
}

func TestDynamoDBBoundsParallelWrites(t *testing.T) {
	table := &fakeTable{}
	s := sink(table, time.Now())
	s.Parallel = 2
	es := make([]Entry, 50)
	for i := range es {
		es[i] = entry(string(rune('A'+i)), 1, 0)
	}
	if _, err := s.Put(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	if table.calls != 50 {
		t.Errorf("%d writes, want 50", table.calls)
	}
}

func TestDynamoDBProbeWritesNothing(t *testing.T) {
	table := &fakeTable{}
	s := sink(table, time.Now())
	if err := s.Probe(context.Background()); err != nil || len(table.items) != 0 {
		t.Errorf("Probe() = %v with %d items written, want nil and none", err, len(table.items))
	}
	table.missing = true
	var missing *types.ResourceNotFoundException
	if err := s.Probe(context.Background()); !errors.As(err, &missing) {
		t.Errorf("Probe() = %v on a missing table, want ResourceNotFound", err)
	}
}
