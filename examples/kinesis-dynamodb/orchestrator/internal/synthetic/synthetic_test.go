package synthetic_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"example.com/kinesis-dynamodb/orchestrator/internal/synthetic"
	"example.com/kinesis-dynamodb/orchestrator/internal/validation"
)

// produce and verify meet only through these functions: the ids must be distinct, the
// requests valid, and the same index must always give the same request.
func TestRequestsAreValidDistinctAndRepeatable(t *testing.T) {
	seen := map[string]bool{}
	for i := range 2000 {
		req := synthetic.Request("p-", i)
		if req.GetId() != synthetic.ID("p-", i) {
			t.Fatalf("request %d has id %q, want ID's %q", i, req.GetId(), synthetic.ID("p-", i))
		}
		if seen[req.GetId()] {
			t.Fatalf("id %q given twice", req.GetId())
		}
		seen[req.GetId()] = true
		if err := validation.ScoreRequest(req); err != nil {
			t.Fatalf("request %d breaks the contract: %v", i, err)
		}
		if !proto.Equal(req, synthetic.Request("p-", i)) {
			t.Fatalf("request %d differs between two calls", i)
		}
	}
}
