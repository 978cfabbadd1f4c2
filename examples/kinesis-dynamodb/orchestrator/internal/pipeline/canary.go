package pipeline

import (
	"context"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/synthetic"
)

// CanaryPrefix begins the id of the canary (Processor.Canary), so that a worker's logs and
// traces tell it from traffic.
const CanaryPrefix = "isolation-canary-"

// CanaryRequest is the request a canary sends: the first synthetic request, which `make
// produce` sends too and the contract's rules accept (synthetic's tests check it), so a
// worker that scores anything scores it.
func CanaryRequest() *scoringv1.ScoreRequest {
	return synthetic.Request(CanaryPrefix, 0)
}

// Canary asks the worker, through the same client and retries as Handle, whether it scores
// at all: it scores CanaryRequest and stores nothing. Isolation sends one when a record
// failed alone and no other traffic vouched for the worker meanwhile.
func (p *Processor) Canary(ctx context.Context) error {
	req := CanaryRequest()
	_, err := p.scoreChunk(ctx, []*scoringv1.ScoreRequest{req})
	p.Logger.DebugContext(ctx, "sent a canary to tell a poison record from a broken worker", "id", req.GetId(), "scored", err == nil, "error", err)
	return err
}
