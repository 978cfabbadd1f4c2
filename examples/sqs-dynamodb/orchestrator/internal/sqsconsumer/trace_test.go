package sqsconsumer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
)

var (
	recorderOnce sync.Once
	recorder     = tracetest.NewSpanRecorder()
)

func recordSpans() *tracetest.SpanRecorder {
	recorderOnce.Do(func() {
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder)))
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	})
	return recorder
}

// produced is a valid message sent under a producer span, its context in the attributes as cmd/produce sends it.
func produced(t *testing.T, id string) (types.Message, trace.SpanContext) {
	t.Helper()
	ctx, span := telemetry.Tracer().Start(context.Background(), "send requests", trace.WithSpanKind(trace.SpanKindProducer))
	defer span.End()
	m := valid(id)
	m.MessageAttributes = map[string]types.MessageAttributeValue{}
	Inject(ctx, m.MessageAttributes)
	if m.MessageAttributes["traceparent"].StringValue == nil {
		t.Fatalf("Inject set no traceparent attribute: %v", m.MessageAttributes)
	}
	return m, span.SpanContext()
}

// consumerSpans returns the ended "process requests" spans by their parent's span id.
func consumerSpans(rec *tracetest.SpanRecorder) map[trace.SpanID]sdktrace.ReadOnlySpan {
	out := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		if s.Name() == "process requests" && s.SpanKind() == trace.SpanKindConsumer {
			out[s.Parent().SpanID()] = s
		}
	}
	return out
}

func TestConsumerContinuesTheProducersTrace(t *testing.T) {
	rec := recordSpans()
	m, producer := produced(t, "a")
	var handled trace.SpanContext
	c := newConsumer(t, &fakeSQS{}, func(ctx context.Context, _ []*scoringv1.ScoreRequest) (map[int]error, error) {
		handled = trace.SpanContextFromContext(ctx)
		return nil, nil
	})
	c.handle(context.Background(), []types.Message{m})

	span, ok := consumerSpans(rec)[producer.SpanID()]
	if !ok {
		t.Fatalf("no consumer span under the producer's span %v", producer.SpanID())
	}
	if span.SpanContext().TraceID() != producer.TraceID() {
		t.Errorf("consumer span in trace %v, want the producer's %v", span.SpanContext().TraceID(), producer.TraceID())
	}
	// The worker call and the store are made in the message's span, so they are its children.
	if handled.SpanID() != span.SpanContext().SpanID() {
		t.Errorf("handled in span %v, want the message's span %v", handled.SpanID(), span.SpanContext().SpanID())
	}
}

func TestABatchMixingTracesLinksEachMessage(t *testing.T) {
	rec := recordSpans()
	a, pa := produced(t, "a")
	b, pb := produced(t, "b")
	var handled trace.SpanContext
	c := newConsumer(t, &fakeSQS{}, func(ctx context.Context, _ []*scoringv1.ScoreRequest) (map[int]error, error) {
		handled = trace.SpanContextFromContext(ctx)
		return nil, nil
	})
	c.handle(context.Background(), []types.Message{a, b})

	spans := consumerSpans(rec)
	sa, sb := spans[pa.SpanID()], spans[pb.SpanID()]
	if sa == nil || sb == nil {
		t.Fatalf("want a consumer span under each producer's span, got %v", spans)
	}
	var batch sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanContext().SpanID() == handled.SpanID() {
			batch = s
		}
	}
	if batch == nil {
		t.Fatal("the batch was handled in no recorded span")
	}
	if tid := batch.SpanContext().TraceID(); tid == pa.TraceID() || tid == pb.TraceID() || batch.Parent().IsValid() {
		t.Errorf("batch span in trace %v under %v, want a new trace: its messages come from two", tid, batch.Parent())
	}
	linked := map[trace.SpanID]bool{}
	for _, l := range batch.Links() {
		linked[l.SpanContext.SpanID()] = true
	}
	if !linked[sa.SpanContext().SpanID()] || !linked[sb.SpanContext().SpanID()] {
		t.Errorf("batch span links %v, want both messages' spans", batch.Links())
	}
}

func TestAttributesCarryTheTraceContext(t *testing.T) {
	recordSpans()
	ctx, span := telemetry.Tracer().Start(context.Background(), "send requests")
	defer span.End()
	attrs := map[string]types.MessageAttributeValue{}
	Inject(ctx, attrs)
	got := trace.SpanContextFromContext(Extract(context.Background(), types.Message{MessageAttributes: attrs}))
	if !got.IsRemote() || got.TraceID() != span.SpanContext().TraceID() || got.SpanID() != span.SpanContext().SpanID() {
		t.Errorf("extracted %v, want the injected span %v", got, span.SpanContext())
	}
	if dt := attrs["traceparent"].DataType; dt == nil || *dt != "String" {
		t.Errorf("traceparent attribute data type %v, want String", dt)
	}
}

func TestMessageAgeIsMeasuredFromSentTimestamp(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_000)
	sent := func(ms string) types.Message {
		return types.Message{Attributes: map[string]string{string(types.MessageSystemAttributeNameSentTimestamp): ms}}
	}
	for _, tc := range []struct {
		m    types.Message
		want time.Duration
		ok   bool
	}{
		{sent("1799999995000"), 5 * time.Second, true},
		{sent("1800000001000"), 0, true}, // SQS's clock a second ahead of ours
		{sent("soon"), 0, false},
		{types.Message{}, 0, false},
	} {
		got, ok := messageAgeAt(tc.m, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("messageAgeAt(%v) = %v, %v; want %v, %v", tc.m.Attributes, got, ok, tc.want, tc.ok)
		}
	}
}
