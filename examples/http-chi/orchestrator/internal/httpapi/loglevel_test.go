package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/httpapi"
)

// levels is a log handler that keeps the level and message of every line, DEBUG included.
type levels struct {
	mu    sync.Mutex
	lines []slog.Record
}

func (l *levels) Enabled(context.Context, slog.Level) bool { return true }

func (l *levels) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, r.Clone())
	return nil
}

func (l *levels) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *levels) WithGroup(string) slog.Handler      { return l }

// atLeast returns the messages of the lines at level or above.
func (l *levels) atLeast(level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.lines {
		if r.Level >= level {
			out = append(out, r.Message)
		}
	}
	return out
}

// The outcomes overload and clients bring, which metrics count already, log nothing at WARN
// or INFO however many of them come: under overload they come by the thousand a second, on
// the core the refusals were meant to spare. Real gRPC, so the codes are the wire's.
func TestExpectedWorkerFailuresLogBelowInfo(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		n    int
	}{
		{"refused for load", status.Error(codes.ResourceExhausted, "scoring worker is at its in-flight limit; retry with backoff"), 200},
		{"deadline", status.Error(codes.DeadlineExceeded, "deadline passed in the worker's queue"), 200},
		// Fewer: the channel's retry policy backs off between a call's attempts.
		{"unavailable", status.Error(codes.Unavailable, "model reloading"), 10},
		{"invalid", status.Error(codes.InvalidArgument, "id: too long"), 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, 5*time.Second)
			e.worker.answer(t, func(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
				return nil, tt.err
			})
			var logs levels
			api := httpapi.New(httpapi.Config{Workers: primaryOnly(e.client), MaxBodyBytes: 4096, Logger: slog.New(&logs), Ops: opsStub()})
			n := tt.n
			for range n {
				if rec := post(api, "/v1/score", []byte(`{"id":"a"}`)); rec.Code == http.StatusOK {
					t.Fatalf("the worker's %v answered 200", tt.err)
				}
			}
			// 400s stay in the access log at INFO, one line each; nothing else may pass DEBUG.
			allowed := 0
			if status.Code(tt.err) == codes.InvalidArgument {
				allowed = n
			}
			if got := logs.atLeast(slog.LevelInfo); len(got) != allowed {
				t.Errorf("%d refusals logged %d lines at INFO or above, want %d: %q", n, len(got), allowed, got[:min(len(got), 5)])
			}
			if got := logs.atLeast(slog.LevelWarn); len(got) != 0 {
				t.Errorf("%d refusals logged %d lines at WARN or above: %q", n, len(got), got[:min(len(got), 5)])
			}
		})
	}
}

// An unexpected worker failure is logged at WARN, but a worker failing every call does not
// flood the log either: at most one WARN a second.
func TestUnexpectedWorkerFailuresWarnAtMostOnceASecond(t *testing.T) {
	const n = 200
	e := newEnv(t, nil, 5*time.Second)
	e.worker.answer(t, func(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
		return nil, status.Error(codes.Internal, "boom")
	})
	var logs levels
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(e.client), MaxBodyBytes: 4096, Logger: slog.New(&logs), Ops: opsStub()})
	start := time.Now()
	for range n {
		wantError(t, post(api, "/v1/score", []byte(`{"id":"a"}`)), http.StatusBadGateway, "bad_gateway")
	}
	seconds := int(time.Since(start) / time.Second)
	warns := logs.atLeast(slog.LevelWarn)
	if len(warns) == 0 || len(warns) > 1+seconds {
		t.Fatalf("%d worker failures over %ds logged %d WARN lines, want 1 to %d: %q", n, seconds, len(warns), 1+seconds, warns[:min(len(warns), 5)])
	}
	for _, m := range warns {
		if m != "worker call failed" {
			t.Errorf("WARN line %q, want \"worker call failed\"", m)
		}
	}
}
