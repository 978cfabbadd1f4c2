package httpapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/httpapi"
	"example.com/http-chi/orchestrator/internal/workerclient"
)

// heldWorker answers a call only once release is closed, telling entered when it starts.
type heldWorker struct {
	stubWorker
	entered chan struct{}
	release chan struct{}
}

func (h heldWorker) Score(ctx context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	h.entered <- struct{}{}
	<-h.release
	return h.stubWorker.Score(ctx, req)
}

// unreadBody fails the test if the handler reads it: a refused request's body must not be decoded.
type unreadBody struct{ t *testing.T }

func (u unreadBody) Read([]byte) (int, error) {
	u.t.Error("the body of a request past the in-flight budget was read")
	return 0, errors.New("read")
}

func TestRequestPastTheInFlightBudgetIs429BeforeItsBodyIsRead(t *testing.T) {
	held := heldWorker{stubWorker: stubWorker{health: workerclient.HealthServing}, entered: make(chan struct{}, 1), release: make(chan struct{})}
	body := `{"id":"a"}`
	// Room for one such body at a time.
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(held), MaxInFlightBytes: int64(len(body)), Logger: slog.New(slog.DiscardHandler)})

	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- post(api, "/v1/score", []byte(body)) }()
	<-held.entered

	// Declaring the bytes the budget lacks, or no length at all while none are free.
	for _, length := range []int64{int64(len(body)), -1} {
		req := httptest.NewRequest(http.MethodPost, "/v1/score", io.NopCloser(unreadBody{t}))
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/json")
		refused := httptest.NewRecorder()
		api.ServeHTTP(refused, req)
		wantError(t, refused, http.StatusTooManyRequests, "resource_exhausted")
		if want := strconv.Itoa(httpapi.ShedRetryAfterSeconds); refused.Header().Get("Retry-After") != want {
			t.Errorf("Content-Length %d: Retry-After %q, want %s", length, refused.Header().Get("Retry-After"), want)
		}
		if !strings.Contains(refused.Body.String(), "orchestrator is at capacity") {
			t.Errorf("Content-Length %d: body %s: want the orchestrator named as the one at capacity", length, refused.Body)
		}
	}

	close(held.release)
	if rec := <-first; rec.Code != http.StatusOK {
		t.Fatalf("the admitted request: %d %s", rec.Code, rec.Body)
	}
	// Its charge is given back: the next one is admitted.
	if rec := post(api, "/v1/score", []byte(body)); rec.Code != http.StatusOK {
		t.Errorf("after the first returned: %d %s", rec.Code, rec.Body)
	}
}

// A body still arriving holds none of the budget: a slow or chunked upload must not refuse
// everyone else while it trickles in.
func TestBodyIsChargedOnlyOnceRead(t *testing.T) {
	body := `{"id":"a"}`
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(stubWorker{health: workerclient.HealthServing}), MaxInFlightBytes: int64(len(body)), Logger: slog.New(slog.DiscardHandler)})
	upload, sender := io.Pipe()
	slow := httptest.NewRequest(http.MethodPost, "/v1/score", upload)
	slow.ContentLength = -1 // chunked: its size is known only once read
	slow.Header.Set("Content-Type", "application/json")
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, slow)
		done <- rec
	}()
	if _, err := sender.Write([]byte(body[:3])); err != nil { // the handler is reading it
		t.Fatal(err)
	}
	if rec := post(api, "/v1/score", []byte(body)); rec.Code != http.StatusOK {
		t.Errorf("beside an upload still arriving: %d %s", rec.Code, rec.Body)
	}
	if _, err := sender.Write([]byte(body[3:])); err != nil {
		t.Fatal(err)
	}
	_ = sender.Close()
	if rec := <-done; rec.Code != http.StatusOK {
		t.Errorf("the slow upload: %d %s", rec.Code, rec.Body)
	}
}

func TestBodyLargerThanTheWholeBudgetRunsAlone(t *testing.T) {
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(stubWorker{health: workerclient.HealthServing}), MaxInFlightBytes: 4, Logger: slog.New(slog.DiscardHandler)})
	for range 2 {
		if rec := post(api, "/v1/score", []byte(`{"id":"larger than four bytes"}`)); rec.Code != http.StatusOK {
			t.Fatalf("idle API refused a body over its budget: %d %s", rec.Code, rec.Body)
		}
	}
}

// What the headers alone rule out (a non-JSON body, a declared length over the route's
// limit) is answered 415 or 413 even while the budget is full: a 429 would have the client
// retry a request that can never pass.
func TestWhatNoRetryFixesIsRefusedBeforeTheInFlightBudget(t *testing.T) {
	held := heldWorker{stubWorker: stubWorker{health: workerclient.HealthServing}, entered: make(chan struct{}, 1), release: make(chan struct{})}
	body := `{"id":"a"}`
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(held), MaxBodyBytes: 64, MaxInFlightBytes: int64(len(body)), Logger: slog.New(slog.DiscardHandler)})
	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- post(api, "/v1/score", []byte(body)) }()
	<-held.entered

	for _, tt := range []struct {
		contentType string
		length      int64
		status      int
		code        string
	}{
		{"text/plain", int64(len(body)), http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"application/json", 65, http.StatusRequestEntityTooLarge, "payload_too_large"},
	} {
		req := httptest.NewRequest(http.MethodPost, "/v1/score", io.NopCloser(unreadBody{t}))
		req.ContentLength = tt.length
		req.Header.Set("Content-Type", tt.contentType)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		wantError(t, rec, tt.status, tt.code)
	}
	close(held.release)
	<-first
}
