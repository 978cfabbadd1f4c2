package kinesisconsumer

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/ops"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
	"example.com/kinesis-dynamodb/orchestrator/internal/telemetry"
)

type handlerFunc func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error)

func (h handlerFunc) Handle(ctx context.Context, reqs []*scoringv1.ScoreRequest) (map[int]error, error) {
	return h(ctx, reqs)
}

func TestEachBatchStartsATraceOfItsOwn(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	var handled trace.SpanContext
	c := New(&fakeKinesis{}, nil, &memoryDeadLetters{}, handlerFunc(func(ctx context.Context, _ []*scoringv1.ScoreRequest) (map[int]error, error) {
		handled = trace.SpanContextFromContext(ctx)
		return nil, nil
	}), Config{StreamName: "requests", MaxAttempts: 1, Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler)})
	// The reader's own context may carry a span (a GetRecords call's); the batch does not continue it.
	outer, span := telemetry.Tracer().Start(context.Background(), "read")
	records := []types.Record{
		{Data: []byte(body("a")), SequenceNumber: aws.String("1"), PartitionKey: aws.String("a")},
		{Data: []byte(body("b")), SequenceNumber: aws.String("2"), PartitionKey: aws.String("b")},
	}
	if err := c.process(outer, "shardId-000000000000", records); err != nil {
		t.Fatal(err)
	}
	span.End()

	var batch sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "process requests" {
			batch = s
		}
	}
	if batch == nil {
		t.Fatal("no process requests span")
	}
	if batch.SpanKind() != trace.SpanKindConsumer || batch.Parent().IsValid() || batch.SpanContext().TraceID() == span.SpanContext().TraceID() {
		t.Errorf("batch span kind %v parent %v, want a consumer span starting its own trace", batch.SpanKind(), batch.Parent())
	}
	if handled.SpanID() != batch.SpanContext().SpanID() {
		t.Errorf("records handled in span %v, want the batch's %v", handled.SpanID(), batch.SpanContext().SpanID())
	}
	attrs := map[string]string{}
	for _, kv := range batch.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	for k, want := range map[string]string{
		"messaging.destination.partition.id": "shardId-000000000000",
		"messaging.batch.message_count":      "2",
		"aws.kinesis.first_sequence_number":  "1",
		"aws.kinesis.last_sequence_number":   "2",
		"outcome":                            "processed",
	} {
		if attrs[k] != want {
			t.Errorf("attribute %s = %q, want %q (all: %v)", k, attrs[k], want, attrs)
		}
	}
}

// A lone poison record on a quiet stream costs a canary, a Score call no record asked for: it
// is a span of its own, linked to the batch as the round it serves, and the canaries counter
// says so without traces.
func TestACanaryIsASpanLinkedToTheBatchItServes(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	proc := scoringOver(t, &refusingWorker{code: codes.FailedPrecondition}, &orderedSink{})
	sleep := func(ctx context.Context, _ time.Duration) error { return pipeline.Sleep(ctx, time.Millisecond) }
	dead := &memoryDeadLetters{}
	c := New(&fakeKinesis{}, nil, dead, proc, Config{StreamName: "requests", Retry: pipeline.Retry{Sleep: sleep}, Logger: slog.New(slog.DiscardHandler)})
	if err := c.process(context.Background(), "s0", records(body("poison-1"))); err != nil {
		t.Fatal(err)
	}
	if len(dead.records) != 1 {
		t.Fatalf("dead letters %.80q, want the poison record", dead.records)
	}
	var batch, canary sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		switch s.Name() {
		case "process requests":
			batch = s
		case telemetry.CanarySpan:
			canary = s
		}
	}
	if batch == nil || canary == nil {
		t.Fatalf("batch span %v, canary span %v: want both", batch, canary)
	}
	if canary.Parent().IsValid() || canary.SpanContext().TraceID() == batch.SpanContext().TraceID() {
		t.Errorf("canary span under %v, want a trace of its own", canary.Parent())
	}
	if l := canary.Links(); len(l) != 1 || l[0].SpanContext.SpanID() != batch.SpanContext().SpanID() {
		t.Errorf("canary span links %v, want the batch's span", l)
	}
	attrs := map[string]string{}
	for _, kv := range canary.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	if attrs["canary.outcome"] != "scored" || attrs["canary.verdict"] != "poison_pending" || attrs["canary.suspects"] != "1" {
		t.Errorf("canary span attributes %v, want outcome scored, verdict poison_pending, 1 suspect", attrs)
	}
	if got := [2]int64{proc.Metrics.CanariesScored.Load(), proc.Metrics.CanariesFailed.Load()}; got != [2]int64{1, 0} {
		t.Errorf("canaries scored, failed = %v, want [1 0]", got)
	}
}
