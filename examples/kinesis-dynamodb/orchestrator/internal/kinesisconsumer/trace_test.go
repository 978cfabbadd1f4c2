package kinesisconsumer

import (
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/ops"
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
