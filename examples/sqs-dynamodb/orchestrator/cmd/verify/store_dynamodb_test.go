package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func item(id, score string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"id":            &types.AttributeValueMemberS{Value: id},
		"score":         &types.AttributeValueMemberN{Value: score},
		"model_version": &types.AttributeValueMemberS{Value: "m1"},
		"reason_codes":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "AMOUNT_HIGH"}}},
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
	delete(noID, "id")
	for name, bad := range map[string]map[string]types.AttributeValue{
		"no id":              noID,
		"score not a number": item("a", "high"),
	} {
		if _, err := collect([]map[string]types.AttributeValue{bad}); err == nil {
			t.Errorf("%s: collect accepted it", name)
		}
	}
}
