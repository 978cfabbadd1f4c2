package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/httpapi"
	"example.com/http-chi/orchestrator/internal/workerclient"
)

// stubWorker stands in for the gRPC client where only routing and middleware are under test.
type stubWorker struct {
	health workerclient.Health
	panics bool
	// version is echoed as the model version, so tests can tell which worker answered.
	version string
}

func (s stubWorker) Score(_ context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	if s.panics {
		panic("worker stub exploded")
	}
	return &scoringv1.ScoreResponse{Id: req.GetId(), ModelVersion: s.version}, nil
}

func (s stubWorker) ScoreBatch(_ context.Context, req *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	return &scoringv1.ScoreBatchResponse{Responses: make([]*scoringv1.ScoreResponse, len(req.GetRequests()))}, nil
}

func (s stubWorker) Health() workerclient.Health { return s.health }

// primaryOnly is the API's worker list when the test needs just one worker.
func primaryOnly(w httpapi.Worker) []httpapi.NamedWorker {
	return []httpapi.NamedWorker{{Name: "primary", Worker: w}}
}

// TestRouting pins the routing behaviour that both router choices (stdlib and chi) must
// share; the same file runs against whichever one the repo was generated with.
func TestRouting(t *testing.T) {
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(stubWorker{health: workerclient.HealthServing}), Logger: slog.New(slog.DiscardHandler), Ops: opsStub()})
	tests := []struct {
		method, path string
		body         string
		status       int
		allow        string
	}{
		{http.MethodPost, "/v1/score", `{"id":"a"}`, http.StatusOK, ""},
		{http.MethodPost, "/v1/score/batch", `{"requests":[{"id":"a"}]}`, http.StatusOK, ""},
		{http.MethodGet, "/healthz", "", http.StatusOK, ""},
		{http.MethodHead, "/healthz", "", http.StatusOK, ""},
		{http.MethodGet, "/readyz", "", http.StatusOK, ""},
		{http.MethodHead, "/readyz", "", http.StatusOK, ""},
		{http.MethodGet, "/v1/score", "", http.StatusMethodNotAllowed, "POST"},
		{http.MethodHead, "/v1/score", "", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPut, "/v1/score/batch", "", http.StatusMethodNotAllowed, "POST"},
		{http.MethodDelete, "/healthz", "", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodPost, "/readyz", "", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodGet, "/", "", http.StatusNotFound, ""},
		{http.MethodGet, "/v1", "", http.StatusNotFound, ""},
		{http.MethodPost, "/v1/score/", `{"id":"a"}`, http.StatusNotFound, ""},
		{http.MethodPost, "/v1/scores", `{"id":"a"}`, http.StatusNotFound, ""},
		{http.MethodPost, "/metrics", "", http.StatusMethodNotAllowed, "GET, HEAD"},
	}
	// /metrics is Prometheus' text, not JSON.
	if rec := do(api, http.MethodGet, "/metrics", "", nil); rec.Code != http.StatusOK {
		t.Errorf("GET /metrics: status %d", rec.Code)
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := do(api, tt.method, tt.path, "application/json", []byte(tt.body))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if got := rec.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if tt.method != http.MethodHead && !json.Valid(rec.Body.Bytes()) {
				t.Errorf("body %q is not JSON", rec.Body)
			}
		})
	}
}

// With the ops endpoints on a listener of their own (OPS_LISTEN_ADDR), the API's port serves
// none of them: nothing but the API is open to its clients.
func TestWithoutOpsTheAPIServesNoOpsEndpoint(t *testing.T) {
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(stubWorker{health: workerclient.HealthServing}), Logger: slog.New(slog.DiscardHandler)})
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		wantError(t, do(api, http.MethodGet, path, "", nil), http.StatusNotFound, "not_found")
	}
}

func TestKnownDownWorkerIsNotCalled(t *testing.T) {
	// The stub panics if called, which would turn into a 500.
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(stubWorker{health: workerclient.HealthNotServing, panics: true}), Logger: slog.New(slog.DiscardHandler)})
	rec := post(api, "/v1/score", []byte(`{"id":"a"}`))
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable")
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	// Bad input is still reported as such: the client should fix it whatever the worker's state.
	wantError(t, post(api, "/v1/score", []byte(`{"id":""}`)), http.StatusBadRequest, "invalid_argument")
}

func TestPanicBecomes500(t *testing.T) {
	var logs bytes.Buffer
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(stubWorker{panics: true}), Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Ops: opsStub()})
	wantError(t, post(api, "/v1/score", []byte(`{"id":"a"}`)), http.StatusInternalServerError, "internal")
	if !strings.Contains(logs.String(), "worker stub exploded") {
		t.Errorf("panic value not logged; logs:\n%s", logs.String())
	}
	// The server keeps serving.
	if rec := do(api, http.MethodGet, "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("healthz after a panic: %d", rec.Code)
	}
}

func TestRequestLog(t *testing.T) {
	var logs bytes.Buffer
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(stubWorker{}), Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Ops: opsStub()})
	rec := do(api, http.MethodGet, "/v1/score", "", nil)
	id := rec.Header().Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id generated")
	}
	var line struct {
		Msg       string `json:"msg"`
		Method    string `json:"method"`
		Path      string `json:"path"`
		Status    int    `json:"status"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line.Msg != "request" || line.Method != http.MethodGet || line.Path != "/v1/score" || line.Status != http.StatusMethodNotAllowed || line.RequestID != id {
		t.Errorf("log line %+v does not describe the request (id %s)", line, id)
	}

	// Successful probes are logged below the default level, so they do not flood the log.
	logs.Reset()
	do(api, http.MethodGet, "/healthz", "", nil)
	if logs.Len() != 0 {
		t.Errorf("healthz logged at info: %s", logs.String())
	}
}

func TestUnsafeRequestIDReplaced(t *testing.T) {
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(stubWorker{}), Logger: slog.New(slog.DiscardHandler), Ops: opsStub()})
	for _, id := range []string{"has space", strings.Repeat("x", 129), "tab\there"} {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header.Set("X-Request-Id", id)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if got := rec.Header().Get("X-Request-Id"); got == id || got == "" {
			t.Errorf("X-Request-Id %q came back as %q, want a fresh id", id, got)
		}
	}
}
