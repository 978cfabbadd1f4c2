package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
	"example.com/http-stdlib/orchestrator/internal/validation"
)

// A worker that sheds takes less than the orchestrator admits: once it has refused calls for
// load, the orchestrator refuses the next requests past what was in flight before reading
// their bodies, rather than decoding and sending them to be refused. A message over the
// worker's size limit, RESOURCE_EXHAUSTED too, says nothing about load and leaves the limit
// alone. Real gRPC, so the codes and messages are the ones that cross the wire.
func TestWorkerRefusalsForLoadRefuseTheNextRequestsBeforeTheirBodiesAreRead(t *testing.T) {
	for _, tt := range []struct {
		name    string
		maxRecv int   // the worker's message size limit
		err     error // the worker's answer to the first calls, if not the size limit's
		shed    bool
	}{
		{"the worker at capacity", validation.MaxRequestBytes, status.Error(codes.ResourceExhausted, "scoring worker is at its in-flight limit; retry with backoff"), true},
		{"a message over the worker's size limit", 64, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			const refusals = 100
			e := newEnvLimited(t, nil, 5*time.Second, tt.maxRecv)
			var calls atomic.Int64
			entered, release := make(chan struct{}, 2), make(chan struct{})
			e.worker.answer(t, func(_ context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
				// Over the size limit, the calls never reach here.
				if tt.err != nil && calls.Add(1) <= refusals {
					return nil, tt.err
				}
				entered <- struct{}{}
				<-release
				return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
			})
			api := httpapi.New(httpapi.Config{Workers: primaryOnly(e.client), MaxInFlightBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler)})
			// 3 KB bodies: two of them are past a limit backed off to its least, one unit of cost.
			// The refused ones carry a long id, over the size limit of the worker that has one.
			refusedBody := []byte(`{"id":"` + strings.Repeat("r", 128) + `"` + strings.Repeat(" ", 3000) + `}`)
			body := []byte(`{"id":"a"` + strings.Repeat(" ", 3000) + `}`)
			for range refusals {
				if rec := post(api, "/v1/score", refusedBody); rec.Code == http.StatusOK {
					t.Fatalf("the worker's refusal answered %d", rec.Code)
				}
			}
			admitted := make(chan *httptest.ResponseRecorder, 2)
			go func() { admitted <- post(api, "/v1/score", body) }()
			<-entered

			answers := 1
			if tt.shed {
				req := httptest.NewRequest(http.MethodPost, "/v1/score", io.NopCloser(unreadBody{t}))
				req.ContentLength = int64(len(body))
				req.Header.Set("Content-Type", "application/json")
				refused := httptest.NewRecorder()
				api.ServeHTTP(refused, req)
				wantError(t, refused, http.StatusTooManyRequests, "resource_exhausted")
				if !strings.Contains(refused.Body.String(), "orchestrator is at capacity") {
					t.Errorf("body %s: want the orchestrator's own refusal", refused.Body)
				}
			} else {
				go func() { admitted <- post(api, "/v1/score", body) }()
				select {
				case <-entered: // beside the first
				case rec := <-admitted:
					close(release)
					t.Fatalf("beside the first: %d %s, want it admitted", rec.Code, rec.Body)
				}
				answers++
			}
			close(release)
			for range answers {
				if rec := <-admitted; rec.Code != http.StatusOK {
					t.Errorf("an admitted request: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
