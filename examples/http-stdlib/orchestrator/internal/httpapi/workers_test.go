package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
	"example.com/http-stdlib/orchestrator/internal/workerclient"
)

// twoWorkers is an API over workers "alpha" (the primary) and "beta"; each answers with its
// own name as the model version.
func twoWorkers(betaHealth workerclient.Health) http.Handler {
	return httpapi.New(httpapi.Config{
		Workers: []httpapi.NamedWorker{
			{Name: "alpha", Worker: stubWorker{health: workerclient.HealthServing, version: "alpha"}},
			{Name: "beta", Worker: stubWorker{health: betaHealth, version: "beta"}},
		},
		Logger: slog.New(slog.DiscardHandler),
	})
}

func TestEachWorkerHasItsOwnRoutes(t *testing.T) {
	api := twoWorkers(workerclient.HealthServing)
	tests := []struct{ path, want string }{
		{"/v1/score", "alpha"},
		{"/v1/workers/alpha/score", "alpha"},
		{"/v1/workers/beta/score", "beta"},
	}
	for _, tt := range tests {
		rec := post(api, tt.path, []byte(`{"id":"a"}`))
		if rec.Code != http.StatusOK {
			t.Fatalf("POST %s: status %d; body %s", tt.path, rec.Code, rec.Body)
		}
		var body struct {
			ModelVersion string `json:"modelVersion"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.ModelVersion != tt.want {
			t.Errorf("POST %s answered by %q (%v), want %q", tt.path, body.ModelVersion, err, tt.want)
		}
	}
	for _, path := range []string{"/v1/score/batch", "/v1/workers/alpha/score/batch", "/v1/workers/beta/score/batch"} {
		if rec := post(api, path, []byte(`{"requests":[{"id":"a"}]}`)); rec.Code != http.StatusOK {
			t.Errorf("POST %s: status %d; body %s", path, rec.Code, rec.Body)
		}
	}
	unknown := post(api, "/v1/workers/gamma/score", []byte(`{"id":"a"}`))
	wantError(t, unknown, http.StatusNotFound, "not_found")
	// The next step: which names there are.
	if !strings.Contains(unknown.Body.String(), "workers: alpha, beta") {
		t.Errorf("404 for an unknown worker: %s; want the workers there are", unknown.Body)
	}
	rec := do(api, http.MethodGet, "/v1/workers/beta/score", "", nil)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET /v1/workers/beta/score: status %d, Allow %q; want 405 and POST", rec.Code, rec.Header().Get("Allow"))
	}
}

// One worker down fails only its own routes.
func TestOneWorkerDownFailsOnlyItsOwnRoutes(t *testing.T) {
	api := twoWorkers(workerclient.HealthNotServing)
	if rec := post(api, "/v1/workers/alpha/score", []byte(`{"id":"a"}`)); rec.Code != http.StatusOK {
		t.Errorf("alpha with beta down: status %d, want 200", rec.Code)
	}
	wantError(t, post(api, "/v1/workers/beta/score", []byte(`{"id":"a"}`)), http.StatusServiceUnavailable, "unavailable")
}

// failingWorker is a serving worker whose every Score call fails with err.
type failingWorker struct {
	stubWorker
	err error
}

func (f failingWorker) Score(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	return nil, f.err
}

// With several workers, an error about one of them names it: "the scoring worker is
// unavailable" from /v1/score would not say which service to look at.
func TestAWorkerErrorNamesTheWorker(t *testing.T) {
	serving := stubWorker{health: workerclient.HealthServing}
	for _, tt := range []struct {
		worker httpapi.Worker
		status int
	}{
		{stubWorker{health: workerclient.HealthNotServing}, http.StatusServiceUnavailable},
		{failingWorker{serving, status.Error(codes.Unavailable, "")}, http.StatusServiceUnavailable},
		{failingWorker{serving, status.Error(codes.DeadlineExceeded, "")}, http.StatusGatewayTimeout},
		{failingWorker{serving, status.Error(codes.ResourceExhausted, "")}, http.StatusTooManyRequests},
		{failingWorker{serving, status.Error(codes.Internal, "")}, http.StatusBadGateway},
	} {
		api := httpapi.New(httpapi.Config{
			Workers: []httpapi.NamedWorker{{Name: "alpha", Worker: serving}, {Name: "beta", Worker: tt.worker}},
			Logger:  slog.New(slog.DiscardHandler),
		})
		rec := post(api, "/v1/workers/beta/score", []byte(`{"id":"a"}`))
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), `scoring worker beta `) {
			t.Errorf("status %d, body %s; want %d naming worker beta", rec.Code, rec.Body, tt.status)
		}
	}
}

// What the orchestrator refuses itself, before any worker sees the call, says so: a full
// batching queue is not "scoring worker beta is at capacity", and a client or an operator
// reading that would look at the wrong service.
func TestTheOrchestratorsOwnRefusalsSaySo(t *testing.T) {
	serving := stubWorker{health: workerclient.HealthServing}
	for _, tt := range []struct {
		err        error
		status     int
		code       string
		message    string
		retryAfter int
	}{
		{workerclient.ErrQueueFull, http.StatusTooManyRequests, "resource_exhausted", "the orchestrator's queue of requests for scoring worker beta is full", httpapi.ShedRetryAfterSeconds},
		{workerclient.ErrClosed, http.StatusServiceUnavailable, "unavailable", "the orchestrator is shutting down", httpapi.UnavailableRetryAfterSeconds},
	} {
		api := httpapi.New(httpapi.Config{
			Workers: []httpapi.NamedWorker{{Name: "alpha", Worker: serving}, {Name: "beta", Worker: failingWorker{serving, tt.err}}},
			Logger:  slog.New(slog.DiscardHandler),
		})
		rec := post(api, "/v1/workers/beta/score", []byte(`{"id":"a"}`))
		wantError(t, rec, tt.status, tt.code)
		if !strings.Contains(rec.Body.String(), tt.message) {
			t.Errorf("%v: body %s, want %q", tt.err, rec.Body, tt.message)
		}
		if got, want := rec.Header().Get("Retry-After"), strconv.Itoa(tt.retryAfter); got != want {
			t.Errorf("%v: Retry-After %q, want %q", tt.err, got, want)
		}
	}
}
