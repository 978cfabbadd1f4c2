package sqsconsumer

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// levels is a log handler that counts the lines of each message by level.
type levels struct {
	mu    sync.Mutex
	lines map[string]map[slog.Level]int
}

func (l *levels) Enabled(context.Context, slog.Level) bool { return true }

func (l *levels) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lines == nil {
		l.lines = map[string]map[slog.Level]int{}
	}
	if l.lines[r.Message] == nil {
		l.lines[r.Message] = map[slog.Level]int{}
	}
	l.lines[r.Message][r.Level]++
	return nil
}

func (l *levels) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *levels) WithGroup(string) slog.Handler      { return l }

func (l *levels) count(msg string, level slog.Level) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines[msg][level]
}

// failingReceives is a queue whose every ReceiveMessage fails with err.
type failingReceives struct {
	*fakeSQS
	err      error
	receives atomic.Int64
}

func (f *failingReceives) ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.receives.Add(1)
	return nil, f.err
}

// A receive SQS throttles is routine under load: each of hundreds is counted and logged at
// DEBUG, never WARN. One that fails otherwise, as often, warns at most once a second, the rest
// at DEBUG (workerclient.FailureLog's rule); readiness reports it meanwhile.
func TestFailedReceivesLogByTheFailureRule(t *testing.T) {
	for _, tt := range []struct {
		name      string
		err       error
		throttled bool
	}{
		{"throttled", &smithy.GenericAPIError{Code: "RequestThrottled", Message: "Request is throttled."}, true},
		{"unexpected", &smithy.GenericAPIError{Code: "InternalFailure", Message: "internal error"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := &failingReceives{fakeSQS: &fakeSQS{}, err: tt.err}
				c := newConsumer(t, q.fakeSQS, succeed)
				c.client = q
				logs := &levels{}
				c.cfg.Logger = slog.New(logs)
				c.cfg.Retry = pipeline.Retry{Max: 100 * time.Millisecond}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); c.loop(ctx, ctx) }()
				const window = time.Minute
				time.Sleep(window)
				cancel()
				<-done
				receives := int(q.receives.Load())
				warns, debugs := logs.count("receiving messages", slog.LevelWarn), logs.count("receiving messages", slog.LevelDebug)
				throttled := int(c.cfg.Metrics.Throttled.Load())
				if receives < 100 {
					t.Fatalf("%d receives in %v, want the queue polled on", receives, window)
				}
				if warns+debugs != receives {
					t.Errorf("%d failed receives logged %d WARN and %d DEBUG lines, want one line each", receives, warns, debugs)
				}
				if tt.throttled {
					if warns != 0 || throttled != receives {
						t.Errorf("%d throttled receives: %d WARN lines, %d counted throttled; want 0 WARN, all counted", receives, warns, throttled)
					}
					return
				}
				if most := 1 + int(window/time.Second); warns == 0 || warns > most || throttled != 0 {
					t.Errorf("%d failed receives in %v: %d WARN lines, %d counted throttled; want 1 to %d WARN, none throttled", receives, window, warns, throttled, most)
				}
			})
		})
	}
}
