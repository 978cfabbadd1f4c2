package sqsconsumer

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
)

// canaryTracingWorker is a refusingWorker that notes the metadata each canary arrives with.
type canaryTracingWorker struct {
	refusingWorker
	canaries chan metadata.MD
}

func (w canaryTracingWorker) Score(ctx context.Context, r *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	if strings.HasPrefix(r.GetId(), pipeline.CanaryPrefix) {
		md, _ := metadata.FromIncomingContext(ctx)
		w.canaries <- md
	}
	return w.refusingWorker.Score(ctx, r)
}

// A lone poison message on a quiet queue costs a canary, a Score call no message asked for.
// The trace must say why it happened: the canary is a span of its own, linked to the poison
// message's span, the parent of the worker's call (a real gRPC one), and the canaries counter
// says so without traces. It carries nothing of the message's trace context: a producer's
// oversized trace state or baggage is one reason a worker refuses a message.
func TestACanaryIsTracedLinkedToThePoisonMessageAndCounted(t *testing.T) {
	rec := recordSpans()
	watchdog(t, "a lone poison message was held without end")
	sleep := func(ctx context.Context, _ time.Duration) error { return pipeline.Sleep(ctx, time.Millisecond) }
	metrics := &ops.Metrics{}
	worker := canaryTracingWorker{
		refusingWorker: refusingWorker{refusal: status.Error(codes.FailedPrecondition, "feature store has no entry for this customer")},
		canaries:       make(chan metadata.MD, 10),
	}
	proc := &pipeline.Processor{
		Scorer: serveWorker(t, worker),
		Sink:   storeAll{}, Retry: pipeline.Retry{Sleep: sleep}, Metrics: metrics, Logger: slog.New(slog.DiscardHandler),
	}
	q := &fakeSQS{redrive: redrive}
	c := newConsumerOf(t, q, proc)
	c.cfg.Retry = pipeline.Retry{Sleep: sleep}
	m, producer := produced(t, "poison-traced")
	Attributes(m.MessageAttributes).Set("baggage", "tenant=acme")
	c.handle(context.Background(), []types.Message{m})
	if _, _, dead := q.snapshot(); dead != 1 {
		t.Fatalf("%d messages dead-lettered, want the poison one", dead)
	}

	message, ok := consumerSpans(rec)[producer.SpanID()]
	if !ok {
		t.Fatal("no span for the poison message")
	}
	var canary sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		for _, l := range s.Links() {
			if s.Name() == telemetry.CanarySpan && l.SpanContext.SpanID() == message.SpanContext().SpanID() {
				canary = s
			}
		}
	}
	if canary == nil {
		t.Fatalf("no %s span linked to the poison message's span", telemetry.CanarySpan)
	}
	if canary.Parent().IsValid() || canary.SpanContext().TraceID() == producer.TraceID() {
		t.Errorf("canary span under %v in trace %v, want a trace of its own", canary.Parent(), canary.SpanContext().TraceID())
	}
	select {
	case md := <-worker.canaries:
		if tp := strings.Join(md.Get("traceparent"), ","); !strings.Contains(tp, canary.SpanContext().SpanID().String()) {
			t.Errorf("the canary reached the worker with traceparent %q, want the canary span %v as its parent", tp, canary.SpanContext().SpanID())
		}
		if b := md.Get("baggage"); len(b) != 0 {
			t.Errorf("the canary reached the worker with the poison message's baggage %q", b)
		}
	default:
		t.Error("the worker received no canary")
	}
	attrs := map[string]string{}
	for _, kv := range canary.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	if attrs["canary.outcome"] != "scored" || attrs["canary.verdict"] != "poison_pending" {
		t.Errorf("canary span attributes %v, want outcome scored, verdict poison_pending", attrs)
	}
	if got := [2]int64{metrics.CanariesScored.Load(), metrics.CanariesFailed.Load()}; got != [2]int64{1, 0} {
		t.Errorf("canaries scored, failed = %v, want [1 0]", got)
	}
}
