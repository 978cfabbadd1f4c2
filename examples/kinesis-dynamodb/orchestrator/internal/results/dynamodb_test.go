package results

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

// fakeTable honours attribute_not_exists(id) as DynamoDB does, and fails the ids in throttle.
type fakeTable struct {
	mu       sync.Mutex
	items    map[string]map[string]types.AttributeValue
	throttle map[string]bool
	calls    int
}

func (f *fakeTable) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	id := in.Item["id"].(*types.AttributeValueMemberS).Value
	if f.throttle[id] {
		return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}
	}
	if aws.ToString(in.ConditionExpression) != "attribute_not_exists(id)" {
		return nil, errors.New("unconditional write: a redelivery would overwrite the stored result")
	}
	if _, ok := f.items[id]; ok {
		return nil, &types.ConditionalCheckFailedException{Message: aws.String("exists")}
	}
	if f.items == nil {
		f.items = map[string]map[string]types.AttributeValue{}
	}
	f.items[id] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func sink(table *fakeTable, at time.Time) *DynamoDB {
	s := NewDynamoDB(table, "results")
	s.Now = func() time.Time { return at }
	return s
}

func TestDynamoDBStoresEveryAttribute(t *testing.T) {
	table := &fakeTable{}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err := sink(table, at).Put(context.Background(), []*scoringv1.ScoreResponse{
		{Id: "a", Score: 0.972809, ModelVersion: "m-1", ReasonCodes: []string{"AMOUNT_HIGH", "VELOCITY_HIGH"}},
		{Id: "b", Score: 0, ModelVersion: "m-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := table.items["a"]
	if got := a["score"].(*types.AttributeValueMemberN).Value; got != "0.972809" {
		t.Errorf("score = %s, want 0.972809", got)
	}
	if got := a["model_version"].(*types.AttributeValueMemberS).Value; got != "m-1" {
		t.Errorf("model_version = %s", got)
	}
	codes := a["reason_codes"].(*types.AttributeValueMemberL).Value
	if len(codes) != 2 || codes[0].(*types.AttributeValueMemberS).Value != "AMOUNT_HIGH" {
		t.Errorf("reason_codes = %v, want [AMOUNT_HIGH VELOCITY_HIGH] in order", codes)
	}
	if got := a["scored_at"].(*types.AttributeValueMemberS).Value; got != "2026-01-02T03:04:05Z" {
		t.Errorf("scored_at = %s", got)
	}
	// An empty list, where a string set could not be empty at all.
	if codes := table.items["b"]["reason_codes"].(*types.AttributeValueMemberL).Value; len(codes) != 0 {
		t.Errorf("b's reason_codes = %v, want empty", codes)
	}
}

func TestDynamoDBTreatsAnExistingResultAsStoredAndKeepsIt(t *testing.T) {
	table := &fakeTable{}
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := sink(table, first).Put(context.Background(), []*scoringv1.ScoreResponse{{Id: "a", Score: 0.1}}); err != nil {
		t.Fatal(err)
	}
	// A redelivery, rescored by a newer model an hour later.
	err := sink(table, first.Add(time.Hour)).Put(context.Background(), []*scoringv1.ScoreResponse{{Id: "a", Score: 0.9}, {Id: "b", Score: 0.2}})
	if err != nil {
		t.Fatalf("Put() = %v, want success: an existing result means already stored", err)
	}
	a := table.items["a"]
	if a["score"].(*types.AttributeValueMemberN).Value != "0.1" || a["scored_at"].(*types.AttributeValueMemberS).Value != "2026-01-01T00:00:00Z" {
		t.Errorf("stored result changed to %v", a)
	}
	if table.items["b"] == nil {
		t.Error("b was not stored")
	}
}

func TestDynamoDBReportsFailuresAndStoresTheRest(t *testing.T) {
	table := &fakeTable{throttle: map[string]bool{"b": true}}
	err := sink(table, time.Now()).Put(context.Background(), []*scoringv1.ScoreResponse{{Id: "a"}, {Id: "b"}, {Id: "c"}})
	var throttled *types.ProvisionedThroughputExceededException
	if !errors.As(err, &throttled) {
		t.Fatalf("Put() = %v, want the throttling error", err)
	}
	if len(table.items) != 2 {
		t.Errorf("%d items stored, want a and c", len(table.items))
	}
}

func TestDynamoDBBoundsParallelWrites(t *testing.T) {
	table := &fakeTable{}
	s := sink(table, time.Now())
	s.Parallel = 2
	rs := make([]*scoringv1.ScoreResponse, 50)
	for i := range rs {
		rs[i] = &scoringv1.ScoreResponse{Id: string(rune('A' + i))}
	}
	if err := s.Put(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	if table.calls != 50 {
		t.Errorf("%d writes, want 50", table.calls)
	}
}
