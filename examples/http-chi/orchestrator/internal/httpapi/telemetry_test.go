package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"example.com/http-chi/orchestrator/internal/httpapi"
	"example.com/http-chi/orchestrator/internal/telemetry"
)

var (
	recorderOnce sync.Once
	recorder     = tracetest.NewSpanRecorder()
)

// recordSpans installs an in-memory span recorder as the global provider, once for the
// package: otelhttp and otelgrpc take the provider when a handler or client is made.
func recordSpans() *tracetest.SpanRecorder {
	recorderOnce.Do(func() {
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder)))
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	})
	return recorder
}

const (
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
)

// ended returns the recorded spans of the caller's trace.
func ended(rec *tracetest.SpanRecorder) map[string]sdktrace.ReadOnlySpan {
	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID().String() == callerTrace {
			spans[s.Name()] = s
		}
	}
	return spans
}

func TestIncomingTraceparentContinuesThroughTheWorkerCall(t *testing.T) {
	rec := recordSpans()
	vectors := loadVectors(t)
	e := newEnv(t, vectors, 2*time.Second)
	var logs bytes.Buffer
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(e.client), Logger: slog.New(telemetry.LogHandler(slog.NewJSONHandler(&logs, nil)))})

	r := httptest.NewRequest(http.MethodPost, "/v1/score", bytes.NewReader(vectors[0].rawReq))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	got := httptest.NewRecorder()
	api.ServeHTTP(got, r)
	if got.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", got.Code, got.Body)
	}

	spans := ended(rec)
	server, ok := spans["POST /v1/score"]
	if !ok {
		t.Fatalf("no server span POST /v1/score in the caller's trace; spans: %v", names(rec))
	}
	if server.SpanKind() != trace.SpanKindServer || server.Parent().SpanID().String() != callerSpan || !server.Parent().IsRemote() {
		t.Errorf("server span kind %v parent %v, want a server span under the caller's span %s", server.SpanKind(), server.Parent(), callerSpan)
	}
	client, ok := spans[telemetry.RPCScore]
	if !ok {
		t.Fatalf("no client span %s in the caller's trace; spans: %v", telemetry.RPCScore, names(rec))
	}
	if client.SpanKind() != trace.SpanKindClient || client.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Errorf("client span kind %v parent %v, want a client span under the server span %v", client.SpanKind(), client.Parent().SpanID(), server.SpanContext().SpanID())
	}
	// The worker receives the client span as its parent, in W3C form.
	want := "00-" + callerTrace + "-" + client.SpanContext().SpanID().String() + "-01"
	e.worker.mu.Lock()
	sent := strings.Join(e.worker.traceparents, " ")
	e.worker.mu.Unlock()
	if !strings.Contains(sent, want) {
		t.Errorf("the worker received traceparent %q, want %q", sent, want)
	}

	// The request's log line names the trace and the server span.
	var line struct {
		Msg     string `json:"msg"`
		TraceID string `json:"trace_id"`
		SpanID  string `json:"span_id"`
	}
	for l := range strings.Lines(logs.String()) {
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if line.Msg == "request" {
			break
		}
	}
	if line.Msg != "request" || line.TraceID != callerTrace || line.SpanID != server.SpanContext().SpanID().String() {
		t.Errorf("request log line %+v, want trace_id %s and span_id %s; logs:\n%s", line, callerTrace, server.SpanContext().SpanID(), logs.String())
	}
}

func TestMetricsCountARequestInTheRouteHistogram(t *testing.T) {
	vectors := loadVectors(t)
	e := newEnv(t, vectors, 2*time.Second)
	series := regexp.MustCompile(`(?m)^` + telemetry.HTTPServerRequestDurationSeconds +
		`_count\{http_request_method="POST",http_response_status_code="200",http_route="/v1/score"\} (\d+)$`)
	count := func() int {
		t.Helper()
		got := do(e.api, http.MethodGet, "/metrics", "", nil)
		if got.Code != http.StatusOK {
			t.Fatalf("/metrics status %d", got.Code)
		}
		m := series.FindStringSubmatch(got.Body.String())
		if m == nil {
			return 0
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	before := count()
	if got := post(e.api, "/v1/score", vectors[0].rawReq); got.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", got.Code, got.Body)
	}
	if after := count(); after != before+1 {
		t.Errorf("%s count for POST /v1/score went %d → %d, want one more", telemetry.HTTPServerRequestDurationSeconds, before, after)
	}
	body := do(e.api, http.MethodGet, "/metrics", "", nil).Body.String()
	for _, name := range []string{
		telemetry.RPCClientCallDurationSeconds + `_count{rpc_grpc_status_code="0",rpc_method="Score",worker="primary"}`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

func names(rec *tracetest.SpanRecorder) []string {
	var out []string
	for _, s := range rec.Ended() {
		out = append(out, s.Name()+" "+s.SpanContext().TraceID().String())
	}
	return out
}

// With no tracer provider installed the API skips the server span (Config.Untraced), yet the
// caller's trace still reaches the worker call and the request's log line.
func TestUntracedStillCarriesTheCallersTrace(t *testing.T) {
	vectors := loadVectors(t)
	e := newEnv(t, vectors, 2*time.Second)
	var logs bytes.Buffer
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(e.client), Untraced: true, Logger: slog.New(telemetry.LogHandler(slog.NewJSONHandler(&logs, nil)))})

	r := httptest.NewRequest(http.MethodPost, "/v1/score", bytes.NewReader(vectors[0].rawReq))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	got := httptest.NewRecorder()
	api.ServeHTTP(got, r)
	if got.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", got.Code, got.Body)
	}
	e.worker.mu.Lock()
	sent := strings.Join(e.worker.traceparents, " ")
	e.worker.mu.Unlock()
	if !strings.Contains(sent, "00-"+callerTrace+"-") {
		t.Errorf("the worker received traceparent %q, want one in trace %s", sent, callerTrace)
	}
	if !strings.Contains(logs.String(), `"trace_id":"`+callerTrace+`"`) {
		t.Errorf("no request log line names trace %s; logs:\n%s", callerTrace, logs.String())
	}
}
