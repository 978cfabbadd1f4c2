package pipeline

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	otelcodes "go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
)

// recordCanaries installs a tracer provider that records every span, for the test's length.
func recordCanaries(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	return rec
}

// canarySpans returns the ended canary spans, in the order they ended.
func canarySpans(rec *tracetest.SpanRecorder) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == telemetry.CanarySpan {
			out = append(out, s)
		}
	}
	return out
}

func attributesOf(s sdktrace.ReadOnlySpan) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.String()
	}
	return out
}

// The canary is a Score call no record asked for: its span says why it went out (the records
// of which round failed alone), what it found and what that means for them, and the worker's
// call is its child, so a trace explains the extra call. It carries nothing of the records'
// context (trace state, baggage), which may be what the worker refused them for.
func TestACanaryThatScoresIsASpanLinkedToTheRoundSayingThePoisonIsPending(t *testing.T) {
	rec := recordCanaries(t)
	// The round's span, under a producer's context with trace state and baggage, as a queue
	// message's may be, and a record's span in a trace of its own.
	state, err := trace.ParseTraceState("vendor=" + strings.Repeat("x", 200))
	if err != nil {
		t.Fatal(err)
	}
	producer := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, TraceState: state, Remote: true})
	member, err := baggage.NewMember("tenant", "acme")
	if err != nil {
		t.Fatal(err)
	}
	bag, err := baggage.New(member)
	if err != nil {
		t.Fatal(err)
	}
	roundCtx, round := telemetry.Tracer().Start(baggage.ContextWithBaggage(trace.ContextWithRemoteSpanContext(context.Background(), producer), bag), "process requests")
	_, record := telemetry.Tracer().Start(context.Background(), "process requests", trace.WithNewRoot())
	var asked trace.SpanContext
	var askedBaggage baggage.Baggage
	iso := Isolation{Canary: func(ctx context.Context) error {
		asked, askedBaggage = trace.SpanContextFromContext(ctx), baggage.FromContext(ctx)
		return nil
	}}
	reason := status.Error(codes.FailedPrecondition, "feature store has no entry for this customer")
	links := []trace.Link{trace.LinkFromContext(roundCtx), {SpanContext: record.SpanContext()}}
	if !iso.Isolated(roundCtx, iso.Mark(), 2, reason, links...) {
		t.Fatal("held though the canary scored")
	}
	round.End()
	record.End()

	spans := canarySpans(rec)
	if len(spans) != 1 {
		t.Fatalf("%d canary spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Parent().IsValid() || s.SpanContext().TraceID() == producer.TraceID() {
		t.Errorf("canary span under %v in trace %v, want a trace of its own", s.Parent(), s.SpanContext().TraceID())
	}
	linked := map[trace.SpanID]bool{}
	for _, l := range s.Links() {
		linked[l.SpanContext.SpanID()] = true
	}
	if len(s.Links()) != 2 || !linked[round.SpanContext().SpanID()] || !linked[record.SpanContext().SpanID()] {
		t.Errorf("canary span links %v, want the round's span and the record's", s.Links())
	}
	if asked.SpanID() != s.SpanContext().SpanID() {
		t.Errorf("the canary was sent in span %v, want its own %v, so the worker call is its child", asked.SpanID(), s.SpanContext().SpanID())
	}
	if asked.TraceState().Len() != 0 || askedBaggage.Len() != 0 {
		t.Errorf("the canary was sent with trace state %q and baggage %q: the round's, which the worker may refuse", asked.TraceState(), askedBaggage)
	}
	if s.Status().Code == otelcodes.Error {
		t.Errorf("canary span status %v for a canary that scored", s.Status())
	}
	want := map[string]string{
		"canary.suspects":       "2",
		"canary.outcome":        "scored",
		"canary.verdict":        "poison_pending",
		"canary.confirm_rounds": strconv.Itoa(ConfirmAttempts),
	}
	got := attributesOf(s)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("attribute %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

// A canary the worker fails puts the worker, not the records, under suspicion: its span is an
// error and counts the held rounds up to the one that makes readiness fail.
func TestACanaryThatFailsIsASpanSayingTheWorkerIsSuspected(t *testing.T) {
	rec := recordCanaries(t)
	failure := status.Error(codes.FailedPrecondition, "model not loaded")
	iso := Isolation{Canary: func(context.Context) error { return failure }}
	for range BrokenAfter {
		if iso.Isolated(context.Background(), iso.Mark(), 1, failure) {
			t.Fatal("isolated though the canary failed")
		}
	}
	spans := canarySpans(rec)
	if len(spans) != BrokenAfter {
		t.Fatalf("%d canary spans over %d rounds, want one a round", len(spans), BrokenAfter)
	}
	for i, s := range spans {
		held := i + 1
		want := map[string]string{
			"canary.outcome":       "failed",
			"canary.verdict":       "worker_suspected",
			"canary.held_rounds":   strconv.Itoa(held),
			"canary.worker_broken": strconv.FormatBool(held >= BrokenAfter),
		}
		got := attributesOf(s)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("round %d: attribute %s = %q, want %q (all: %v)", held, k, got[k], v, got)
			}
		}
		if s.Status().Code != otelcodes.Error || s.Status().Description != failure.Error() {
			t.Errorf("round %d: canary span status %v, want the worker's error", held, s.Status())
		}
	}
}
