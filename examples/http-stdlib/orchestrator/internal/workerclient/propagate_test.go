package workerclient_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/workerclient"
)

// headerWorker records the traceparent and x-request-id each call arrived with.
type headerWorker struct {
	scoringv1.UnimplementedScoringServiceServer
	mu      sync.Mutex
	headers []metadata.MD
}

func (h *headerWorker) Score(ctx context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	h.mu.Lock()
	h.headers = append(h.headers, md)
	h.mu.Unlock()
	return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
}

// Untraced, a call carries the caller's trace context and keeps the metadata it already had,
// as otelgrpc's handler does over OpenTelemetry's no-op provider.
func TestUntracedCallsCarryTheCallersTrace(t *testing.T) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	w := &headerWorker{}
	addr, _, _ := serve(t, w)
	c, err := workerclient.New([]string{addr}, workerclient.Options{CallTimeout: realCeiling, Logger: slog.New(slog.DiscardHandler), Untraced: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })

	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	caller := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true,
	}))
	ctx := metadata.AppendToOutgoingContext(caller, "x-request-id", "r1")
	if _, err := c.Score(ctx, &scoringv1.ScoreRequest{Id: "a"}); err != nil {
		t.Fatal(err)
	}
	// No trace context: no traceparent, and the call still goes through.
	if _, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "b"}); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.headers) != 2 {
		t.Fatalf("%d calls arrived, want 2", len(w.headers))
	}
	first, second := w.headers[0], w.headers[1]
	if got, want := first.Get("traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"; len(got) != 1 || got[0] != want {
		t.Errorf("traceparent %q, want [%s]", got, want)
	}
	if got := first.Get("x-request-id"); len(got) != 1 || got[0] != "r1" {
		t.Errorf("x-request-id %q, want [r1]", got)
	}
	if got := second.Get("traceparent"); len(got) != 0 {
		t.Errorf("traceparent %q on a call without trace context", got)
	}
}
