package main

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/results"
)

func item(id, score string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		results.FieldID:           &types.AttributeValueMemberS{Value: id},
		results.FieldScore:        &types.AttributeValueMemberN{Value: score},
		results.FieldModelVersion: &types.AttributeValueMemberS{Value: "m1"},
		results.FieldReasonCodes:  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "AMOUNT_HIGH"}}},
	}
}

func TestCollectKeepsEveryItemTheTableHolds(t *testing.T) {
	got, err := collect([]map[string]types.AttributeValue{item("a", "0.5"), item("b", "0.25"), item("zz", "0.1")})
	if err != nil {
		t.Fatal(err)
	}
	if arrivedCount(got, want) != len(want) {
		t.Fatalf("collect = %v, want a and b", got)
	}
	// The scan sees an id no vector sent, so check can refuse it.
	if err := check(named("the table"), got, want); err == nil || !strings.Contains(err.Error(), `"zz"`) {
		t.Fatalf("check = %v, want an error naming zz", err)
	}
}

func TestCollectRefusesUnreadableItems(t *testing.T) {
	noID := item("a", "0.5")
	delete(noID, results.FieldID)
	for name, bad := range map[string]map[string]types.AttributeValue{
		"no id":              noID,
		"score not a number": item("a", "high"),
	} {
		if _, err := collect([]map[string]types.AttributeValue{bad}); err == nil {
			t.Errorf("%s: collect accepted it", name)
		}
	}
}

// putRecorder is a results table that takes every first write and keeps its item. The
// sink writes a batch's items concurrently, hence the lock.
type putRecorder struct {
	mu    sync.Mutex
	items []map[string]types.AttributeValue
}

func (p *putRecorder) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.items = append(p.items, in.Item)
	return &dynamodb.PutItemOutput{}, nil
}

func (*putRecorder) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{}, nil
}

func (*putRecorder) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return &dynamodb.UpdateItemOutput{}, nil
}

// What the DynamoDB sink writes is what collect reads back, field for field: the two
// share the attribute names, and this holds them to it.
func TestCollectReadsWhatTheDynamoDBSinkWrites(t *testing.T) {
	table := &putRecorder{}
	var entries []results.Entry
	for _, r := range want {
		entries = append(entries, results.Entry{Request: &scoringv1.ScoreRequest{Id: r.GetId()}, Result: r})
	}
	put, err := results.NewDynamoDB(table, "results").Put(context.Background(), entries)
	if err != nil || len(put.Stored) != len(entries) {
		t.Fatalf("Put = %+v, %v; want every entry stored", put, err)
	}
	got, err := collect(table.items)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(named("the table"), got, want); err != nil || arrivedCount(got, want) != len(want) {
		t.Fatalf("collect = %v (check: %v), want exactly what was put", got, err)
	}
}
