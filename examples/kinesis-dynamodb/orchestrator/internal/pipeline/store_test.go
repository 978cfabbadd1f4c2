package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"example.com/kinesis-dynamodb/orchestrator/internal/ops"
	"example.com/kinesis-dynamodb/orchestrator/internal/results"
)

// unseenSink stores each id's first result with its write id, as the DynamoDB sink does, and
// tells a write of its own that landed (the stored write id is the entry's) from an earlier
// one's. While lose is set, every write lands and then answers late, as a call whose answer was
// lost; while calls are set, each Put first takes that long, as a call left unanswered.
type unseenSink struct {
	mu     sync.Mutex
	writes map[string]string // id → the write id stored with it
	lose   bool
	call   time.Duration
	answer error // what a call left unanswered fails with
}

func (s *unseenSink) Put(_ context.Context, entries []results.Entry) (results.PutResult, error) {
	time.Sleep(s.call)
	if s.answer != nil {
		return results.PutResult{}, s.answer
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writes == nil {
		s.writes = map[string]string{}
	}
	var got results.PutResult
	for i, e := range entries {
		switch stored, ok := s.writes[e.Result.GetId()]; {
		case !ok:
			s.writes[e.Result.GetId()] = e.WriteID
			got.Stored = append(got.Stored, i)
		case e.WriteID != "" && stored == e.WriteID:
			got.Stored = append(got.Stored, i)
		default:
			got.StoredBefore = append(got.StoredBefore, i)
		}
	}
	if s.lose {
		return results.PutResult{}, fmt.Errorf("operation error DynamoDB: PutItem, %w", context.DeadlineExceeded)
	}
	return got, nil
}

func (*unseenSink) Probe(context.Context) error { return nil }

func unseenProcessor(s *unseenSink, attempts int) *Processor {
	logger := slog.New(slog.DiscardHandler)
	return &Processor{
		Scorer: &fakeWorker{}, Sink: s, SinkHealth: &SinkHealth{Logger: logger}, Metrics: &ops.Metrics{}, Logger: logger,
		Retry: Retry{Attempts: attempts, Base: time.Millisecond},
	}
}

// A write whose every try landed unseen until the store's retries ran out is retried later by
// the consumer (in place once the sink is back, or on a redelivery to this process): it is the
// same write, which no try has counted yet, so it counts as processed then, once. A later
// redelivery, once it settled, is stored before.
func TestAWriteThatNeverSettledIsCountedOnceWhenItDoes(t *testing.T) {
	s := &unseenSink{lose: true}
	p := unseenProcessor(s, 2)
	if _, err := p.Handle(context.Background(), requests("a")); !errors.Is(err, ErrStore) {
		t.Fatalf("Handle() = %v, want a store error", err)
	}
	s.lose = false
	for range 2 {
		if _, err := p.Handle(context.Background(), requests("a")); err != nil {
			t.Fatal(err)
		}
	}
	if processed, before := p.Metrics.Processed.Load(), p.Metrics.StoredBefore.Load(); processed != 1 || before != 1 {
		t.Errorf("processed %d, stored before %d; want the write that landed unseen processed once, the redelivery after stored before", processed, before)
	}
}

func TestWriteIDsAreHeldByOneWriteAtATime(t *testing.T) {
	var w writeIDs
	first := w.claim("a")
	if second := w.claim("a"); second == first || second == "" {
		t.Errorf("two writes in flight at once named %q and %q; want two different names", first, second)
	}
	w.keep("a", first)
	if again := w.claim("a"); again != first {
		t.Errorf("the write that did not settle came back as %q, want %q", again, first)
	}
	for i := range maxUnsettled + 10 {
		w.keep(fmt.Sprint(i), "x")
	}
	if n := len(w.unsettled); n != maxUnsettled {
		t.Errorf("%d write ids kept, want at most %d", n, maxUnsettled)
	}
}

// A store left unanswered for a whole call's bound is reported to readiness then, not after
// the retry budget of such calls; a store that answers, if with a throttle, is not.
func TestAStoreLeftUnansweredIsReportedAfterOneCall(t *testing.T) {
	const bound = 11 * time.Second // how long the sink's calls may take: any bound will do
	for _, tc := range []struct {
		name       string
		answer     error
		wantHealth bool
	}{
		{"unanswered", fmt.Errorf("operation error DynamoDB: PutItem, %w", context.DeadlineExceeded), true},
		{"throttled", status.Error(codes.Unavailable, "slow down"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &unseenSink{call: bound, answer: tc.answer}
				p := unseenProcessor(s, 0) // the default budget of tries
				done := make(chan error, 1)
				go func() { _, err := p.Handle(context.Background(), requests("a")); done <- err }()
				time.Sleep(bound + time.Second)
				synctest.Wait()
				if got := p.SinkHealth.Err() != nil; got != tc.wantHealth {
					t.Errorf("sink health %v one call into the store, want failing: %v", p.SinkHealth.Err(), tc.wantHealth)
				}
				if err := <-done; !errors.Is(err, ErrStore) || p.SinkHealth.Err() == nil {
					t.Errorf("Handle() = %v, sink health %v; want the store failed and reported in the end", err, p.SinkHealth.Err())
				}
			})
		})
	}
}
