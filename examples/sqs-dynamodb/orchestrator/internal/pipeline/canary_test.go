package pipeline

import (
	"strings"
	"testing"

	"example.com/sqs-dynamodb/orchestrator/internal/validation"
)

// The canary speaks for the worker only if any worker that scores at all scores it: it must
// keep to the contract's rules, and say what it is in the worker's logs.
func TestTheCanaryIsAValidRequestNamedAsOne(t *testing.T) {
	req := CanaryRequest()
	if err := validation.ScoreRequest(req); err != nil {
		t.Fatalf("the canary breaks the contract: %v", err)
	}
	if !strings.HasPrefix(req.GetId(), CanaryPrefix) {
		t.Errorf("canary id %q, want it to begin %q", req.GetId(), CanaryPrefix)
	}
}
