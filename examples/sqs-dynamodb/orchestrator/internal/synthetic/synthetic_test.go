package synthetic_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"example.com/sqs-dynamodb/orchestrator/internal/synthetic"
	"example.com/sqs-dynamodb/orchestrator/internal/validation"
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

// Two produce runs must never share ids, even started in the same second: else results an
// earlier run left in the table or log would pass for the later run's.
func TestEachRunHasItsOwnPrefix(t *testing.T) {
	now := time.Now()
	if a, b := synthetic.NewPrefix(now), synthetic.NewPrefix(now); a == b {
		t.Fatalf("two runs at %s both got prefix %q", now, a)
	}
}

func TestRecordedIsTheLastRecordedPrefix(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".run", "synthetic-prefix")
	if _, err := synthetic.Recorded(path); err == nil || !strings.Contains(err.Error(), "make produce N=") {
		t.Fatalf("Recorded with no run = %v, want an error that says to run make produce", err)
	}
	for _, prefix := range []string{"first-", "second-"} {
		if err := synthetic.Record(path, prefix); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := synthetic.Recorded(path); err != nil || got != "second-" {
		t.Fatalf("Recorded = %q, %v; want the last run's %q", got, err, "second-")
	}
}
