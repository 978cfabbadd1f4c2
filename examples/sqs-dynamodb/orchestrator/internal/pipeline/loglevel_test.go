package pipeline

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"google.golang.org/grpc/codes"
)

// warns is a log handler that keeps the message of every line at WARN or above.
type warns struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warns) Enabled(context.Context, slog.Level) bool { return true }

func (w *warns) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r.Level >= slog.LevelWarn {
		w.msgs = append(w.msgs, r.Message)
	}
	return nil
}

func (w *warns) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warns) WithGroup(string) slog.Handler      { return w }

// A retry after the worker shed the call is the queue's backoff under load, counted in
// orchestrator_retries_total: no WARN, however often. A transient failure that load does not
// explain (ABORTED here) still warns, once a second at most.
func TestRetriesWarnOnlyForWhatLoadDoesNotExplain(t *testing.T) {
	for _, tt := range []struct {
		code  codes.Code
		warns int
	}{
		{codes.ResourceExhausted, 0},
		{codes.DeadlineExceeded, 0},
		{codes.Aborted, 1},
	} {
		t.Run(tt.code.String(), func(t *testing.T) {
			p := newProcessor(&fakeWorker{failures: 4, code: tt.code}, &memorySink{})
			msgs := warnsAfterFourRetries(t, p)
			if got := p.Metrics.Retried.Load(); got != 4 {
				t.Errorf("retried = %d, want 4", got)
			}
			if len(msgs) != tt.warns {
				t.Errorf("4 retries after %v logged %d WARN lines, want %d: %q", tt.code, len(msgs), tt.warns, msgs)
			}
		})
	}
}

// A worker whose validation drifted rejects every such message: each is unexpected, but the
// WARNs are paced all the same.
func TestDriftedRejectionsWarnAtMostOnceASecond(t *testing.T) {
	w, s := &fakeWorker{}, &memorySink{}
	p := newProcessor(w, s)
	var logs warns
	p.Logger = slog.New(&logs)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = "bad"
	}
	start := time.Now()
	rejected, err := p.Handle(context.Background(), requests(ids...))
	if err != nil || len(rejected) != len(ids) {
		t.Fatalf("Handle() = %d rejected, %v; want all %d rejected", len(rejected), err, len(ids))
	}
	if most := 1 + int(time.Since(start)/time.Second); len(logs.msgs) == 0 || len(logs.msgs) > most {
		t.Errorf("%d rejections logged %d WARN lines, want 1 to %d: %q", len(ids), len(logs.msgs), most, logs.msgs[:min(len(logs.msgs), 5)])
	}
}

// A store the results table throttles is retried as routine: counted, and no WARN however
// often; a store failing otherwise still warns, once a second at most.
func TestStoreRetriesWarnOnlyForWhatThrottlingDoesNotExplain(t *testing.T) {
	for _, tt := range []struct {
		code            string
		warns, throttle int
	}{
		{"ProvisionedThroughputExceededException", 0, 4},
		{"RequestTimeoutException", 1, 0},
	} {
		t.Run(tt.code, func(t *testing.T) {
			p := newProcessor(&fakeWorker{}, &memorySink{failures: 4, err: &smithy.GenericAPIError{Code: tt.code, Message: "no"}})
			msgs := warnsAfterFourRetries(t, p)
			if got := p.Metrics.Throttled.Load(); got != int64(tt.throttle) {
				t.Errorf("throttled = %d, want %d", got, tt.throttle)
			}
			if len(msgs) != tt.warns {
				t.Errorf("4 store retries after %s logged %d WARN lines, want %d: %q", tt.code, len(msgs), tt.warns, msgs)
			}
		})
	}
}

// warnsAfterFourRetries handles two requests with p, whose worker or sink fails four times,
// requires success on the fifth attempt, and returns the WARN lines it logged.
func warnsAfterFourRetries(t *testing.T, p *Processor) []string {
	t.Helper()
	p.Retry.Attempts = 5
	var logs warns
	p.Logger = slog.New(&logs)
	if _, err := p.Handle(context.Background(), requests("a", "b")); err != nil {
		t.Fatalf("Handle() = %v, want success on the fifth attempt", err)
	}
	return logs.msgs
}
