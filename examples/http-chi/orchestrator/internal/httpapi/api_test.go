package httpapi_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/httpapi"
	"example.com/http-chi/orchestrator/internal/workerclient"
)

func TestVectorsThroughHTTP(t *testing.T) {
	vectors := loadVectors(t)
	e := newEnv(t, vectors, 2*time.Second)

	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			rec := post(e.api, "/v1/score", v.rawReq)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, body %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			got := &scoringv1.ScoreResponse{}
			if err := protojson.Unmarshal(rec.Body.Bytes(), got); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, v.expected) {
				t.Errorf("got %v, want %v", got, v.expected)
			}
		})
	}

	t.Run("batch", func(t *testing.T) {
		batch := &scoringv1.ScoreBatchRequest{}
		for _, v := range vectors {
			batch.Requests = append(batch.Requests, v.request)
		}
		body, err := protojson.Marshal(batch)
		if err != nil {
			t.Fatal(err)
		}
		rec := post(e.api, "/v1/score/batch", body)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d, body %s", rec.Code, rec.Body)
		}
		got := &scoringv1.ScoreBatchResponse{}
		if err := protojson.Unmarshal(rec.Body.Bytes(), got); err != nil {
			t.Fatal(err)
		}
		if len(got.GetResponses()) != len(vectors) {
			t.Fatalf("%d responses, want %d", len(got.GetResponses()), len(vectors))
		}
		for i, v := range vectors {
			if !proto.Equal(got.GetResponses()[i], v.expected) {
				t.Errorf("responses[%d] (%s): got %v, want %v", i, v.name, got.GetResponses()[i], v.expected)
			}
		}
	})
}

// TestEveryAnswerEndsItsLine holds every answer, an error too, to one line ending in a
// newline, as /healthz and /readyz already are (json.Encoder's): without it the answer ran
// into the shell prompt, or into the next log line of `make run` in the same terminal,
// for whoever tried the README's curl.
func TestEveryAnswerEndsItsLine(t *testing.T) {
	vectors := loadVectors(t)
	e := newEnv(t, vectors, 2*time.Second)
	batch := `{"requests":[` + string(vectors[0].rawReq) + `]}`
	tests := []struct {
		name   string
		rec    *httptest.ResponseRecorder
		status int
	}{
		{"score", post(e.api, "/v1/score", vectors[0].rawReq), http.StatusOK},
		{"batch", post(e.api, "/v1/score/batch", []byte(batch)), http.StatusOK},
		{"malformed JSON", post(e.api, "/v1/score", []byte(`{`)), http.StatusBadRequest},
		{"no such route", post(e.api, "/v1/nope", []byte(`{}`)), http.StatusNotFound},
		{"wrong method", do(e.api, http.MethodGet, "/v1/score", "", nil), http.StatusMethodNotAllowed},
		{"wrong media type", do(e.api, http.MethodPost, "/v1/score", "text/plain", vectors[0].rawReq), http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.rec.Body.String()
			if tt.rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %q", tt.rec.Code, tt.status, body)
			}
			if !strings.HasSuffix(body, "\n") || strings.Count(body, "\n") != 1 {
				t.Errorf("body %q is not one line ending in a newline", body)
			}
		})
	}
}

func TestWorkerErrors(t *testing.T) {
	e := newEnv(t, nil, 200*time.Millisecond)
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter string // "" for none
	}{
		{"invalid argument", status.Error(codes.InvalidArgument, "id: too long"), http.StatusBadRequest, "invalid_argument", ""},
		{"resource exhausted (shed)", status.Error(codes.ResourceExhausted, "queue full"), http.StatusTooManyRequests, "resource_exhausted", strconv.Itoa(httpapi.ShedRetryAfterSeconds)},
		{"unavailable", status.Error(codes.Unavailable, "model reloading"), http.StatusServiceUnavailable, "unavailable", strconv.Itoa(httpapi.UnavailableRetryAfterSeconds)},
		{"internal", status.Error(codes.Internal, "boom"), http.StatusBadGateway, "bad_gateway", ""},
		{"deadline", nil, http.StatusGatewayTimeout, "deadline_exceeded", ""},
		// tonic's answer when the deadline it was sent runs out.
		{"cancelled at the deadline", status.Error(codes.Canceled, "Timeout expired"), http.StatusGatewayTimeout, "deadline_exceeded", ""},
		// tonic refusing a request over its decoding limit (tonic 0.14, src/codec/decode.rs),
		// as a worker built with a smaller limit than the orchestrator's does.
		{"tonic: request too large", status.Error(codes.OutOfRange, "Error, decoded message length too large: found 70000 bytes, the limit is: 65536 bytes"), http.StatusRequestEntityTooLarge, "payload_too_large", ""},
		// tonic refusing to send an answer over its encoding limit (src/codec/encode.rs).
		{"tonic: answer too large", status.Error(codes.OutOfRange, "Error, encoded message length too large: found 70000 bytes, the limit is: 65536 bytes"), http.StatusRequestEntityTooLarge, "payload_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.worker.answer(t, func(ctx context.Context, _ *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
				if tt.err == nil {
					<-ctx.Done() // Outlive the client's deadline.
					return nil, ctx.Err()
				}
				if status.Code(tt.err) == codes.Canceled {
					<-ctx.Done()
				}
				return nil, tt.err
			})
			rec := post(e.api, "/v1/score", []byte(`{"id":"a"}`))
			wantError(t, rec, tt.status, tt.code)
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if tt.code == "invalid_argument" && !strings.Contains(rec.Body.String(), "id: too long") {
				t.Errorf("body %s does not pass the worker's message through", rec.Body)
			}
		})
	}
}

func TestRequestIDReachesWorker(t *testing.T) {
	e := newEnv(t, nil, 2*time.Second)
	e.worker.answer(t, func(_ context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
		return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
	})
	req := httptest.NewRequest(http.MethodPost, "/v1/score", strings.NewReader(`{"id":"a"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "trace-123")
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, req)

	if got := rec.Header().Get("X-Request-Id"); got != "trace-123" {
		t.Errorf("response X-Request-Id %q, want trace-123", got)
	}
	e.worker.mu.Lock()
	defer e.worker.mu.Unlock()
	if len(e.worker.requestIDs) != 1 || e.worker.requestIDs[0] != "trace-123" {
		t.Errorf("worker saw request ids %q, want [trace-123]", e.worker.requestIDs)
	}
}

func TestWorkerDownFailsFast(t *testing.T) {
	// A port that was just free: connections to it are refused.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()

	// Long, so that "did not wait out the deadline" keeps a wide margin on a busy machine.
	const timeout = time.Minute
	changes := make(healthChanges, 1)
	c, err := workerclient.New([]string{addr}, workerclient.Options{CallTimeout: timeout, Logger: slog.New(changes)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(c), Logger: slog.New(slog.DiscardHandler)})

	// Health not watched yet, so it is unknown and the call is attempted: it must fail on
	// the refused connection, not wait out the deadline.
	start := time.Now()
	rec := post(api, "/v1/score", []byte(`{"id":"a"}`))
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable")
	if !strings.Contains(rec.Body.String(), calledMessage) {
		t.Errorf("with health unknown: %s; want the failed call's %q", rec.Body, calledMessage)
	}
	if elapsed := time.Since(start); elapsed > timeout/5 {
		t.Errorf("took %v with health unknown, want well under the %v timeout", elapsed, timeout)
	}

	// Once health is known to be bad, the API answers without dialling at all.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.WatchHealth(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	awaitHealth(t, c, changes, workerclient.HealthNotServing)
	rec = post(api, "/v1/score/batch", []byte(`{"requests":[{"id":"a"}]}`))
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable")
	if got, want := rec.Header().Get("Retry-After"), strconv.Itoa(httpapi.UnavailableRetryAfterSeconds); got != want {
		t.Errorf("503: Retry-After %q, want %q", got, want)
	}
	// Which answer it is, not how fast it came: the known-bad one is decided before any
	// call, so it never waits on a dial or grpc's reconnect backoff, however busy the machine.
	if !strings.Contains(rec.Body.String(), notServingMessage) {
		t.Errorf("with health known bad: %s; want the answer given without a call, %q", rec.Body, notServingMessage)
	}
}

// The API's two 503 messages about primaryOnly's worker: a call that failed, and a worker
// known down, not called.
const (
	calledMessage     = "scoring worker primary is unavailable"
	notServingMessage = "scoring worker primary is not serving"
)
