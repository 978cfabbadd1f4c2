package pipeline

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/synthetic"
	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
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
	if err == nil {
		p.Metrics.CanariesScored.Add(1)
	} else {
		p.Metrics.CanariesFailed.Add(1)
	}
	p.Logger.DebugContext(ctx, "sent a canary to tell a poison record from a broken worker", "id", req.GetId(), "scored", err == nil, "error", err)
	return err
}

// The canary span's attributes: what the canary found and what the records it speaks for
// face, so that a trace explains the Score call no record asked for.
const (
	// canarySuspects is how many records failed alone in the round that sent the canary.
	canarySuspects = attribute.Key("canary.suspects")
	// canaryOutcome is scored or failed: the worker's answer to the canary itself.
	canaryOutcome = attribute.Key("canary.outcome")
	// canaryVerdict is poison_pending (the worker works: the records are dead-lettered once
	// they fail alone canary.confirm_rounds rounds more) or worker_suspected (they are held).
	canaryVerdict = attribute.Key("canary.verdict")
	// canaryConfirmRounds is ConfirmAttempts, with poison_pending.
	canaryConfirmRounds = attribute.Key("canary.confirm_rounds")
	// canaryHeldRounds counts the rounds in a row held with nothing scored, with
	// worker_suspected; at BrokenAfter, canary.worker_broken turns true and readiness fails.
	canaryHeldRounds   = attribute.Key("canary.held_rounds")
	canaryWorkerBroken = attribute.Key("canary.worker_broken")
)

// startCanary starts the canary's span in a trace of its own, linked to round, the spans of
// the records it speaks for. Not their child: a record's context is the record's, and what it
// carries, tracestate and baggage, travels with every call made in it; were that what the
// worker refuses (headers over its limit, say), the canary would fail with the record and the
// worker be taken for broken. So ctx lends the canary only its deadline and cancellation.
func startCanary(ctx context.Context, suspects int, round []trace.Link) (context.Context, trace.Span) {
	return telemetry.Tracer().Start(baggage.ContextWithoutBaggage(ctx), telemetry.CanarySpan,
		trace.WithNewRoot(),
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithLinks(round...),
		trace.WithAttributes(canarySuspects.Int(suspects)))
}

// endCanary ends span with the canary's error (nil: scored) and the round's verdict: isolated
// (the records are poison, pending confirmation) or not, the held rounds counted so far and
// whether the worker now counts as broken.
func endCanary(span trace.Span, err error, isolated bool, held int, broken bool) {
	outcome := "scored"
	if err != nil {
		outcome = "failed"
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.SetAttributes(canaryOutcome.String(outcome))
	if isolated {
		span.SetAttributes(canaryVerdict.String("poison_pending"), canaryConfirmRounds.Int(ConfirmAttempts))
	} else {
		span.SetAttributes(canaryVerdict.String("worker_suspected"), canaryHeldRounds.Int(held), canaryWorkerBroken.Bool(broken))
	}
	span.End()
}
