package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/results"
)

// memorySink stores results in a map, the first for each id standing; its first failures
// Puts fail with err, after storing the first partial entries of each (as a sink that
// writes in parallel does). Ids in conflicting are reported as stored for a different request.
type memorySink struct {
	mu          sync.Mutex
	failures    int
	partial     int
	err         error
	puts        int
	put         []int // entries in each Put
	stored      map[string]*scoringv1.ScoreResponse
	conflicting map[string]bool
}

func (s *memorySink) Put(_ context.Context, entries []results.Entry) (results.PutResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts++
	s.put = append(s.put, len(entries))
	if s.stored == nil {
		s.stored = map[string]*scoringv1.ScoreResponse{}
	}
	got := results.PutResult{Conflicts: map[int]error{}}
	var failure error
	for i, e := range entries {
		id := e.Result.GetId()
		switch {
		case s.failures > 0 && i >= s.partial:
			failure = s.err
		case s.conflicting[id]:
			got.Conflicts[i] = fmt.Errorf("id %q is stored for another request", id)
		case s.stored[id] != nil:
			got.StoredBefore = append(got.StoredBefore, i)
		default:
			s.stored[id] = e.Result
			got.Stored = append(got.Stored, i)
		}
	}
	if s.failures > 0 {
		s.failures--
	}
	return got, failure
}

func (s *memorySink) Probe(context.Context) error { return nil }

func TestHandleRetriesTheStoreWithoutRescoring(t *testing.T) {
	throttled := errors.Join(errors.New("storing a"), status.Error(codes.Unavailable, "throttled"))
	w, s := &fakeWorker{}, &memorySink{failures: 2, err: throttled}
	if _, err := newProcessor(w, s).Handle(context.Background(), requests("a", "b")); err != nil {
		t.Fatal(err)
	}
	if w.batches != 1 || s.puts != 3 || len(s.stored) != 2 {
		t.Errorf("%d scoring calls, %d puts, %d stored; want 1, 3, 2", w.batches, s.puts, len(s.stored))
	}
}

func TestHandleRejectsConflictsAndStoresTheRest(t *testing.T) {
	w, s := &fakeWorker{}, &memorySink{conflicting: map[string]bool{"b": true}}
	p := newProcessor(w, s)
	rejected, err := p.Handle(context.Background(), requests("a", "bad", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 2 || rejected[1] == nil || !errors.Is(rejected[2], ErrConflict) || !strings.Contains(rejected[2].Error(), `"b"`) {
		t.Errorf("rejected = %v, want index 1 (the worker) and index 2 (a conflict on b)", rejected)
	}
	if len(s.stored) != 2 || s.stored["a"] == nil || s.stored["c"] == nil {
		t.Errorf("stored %v, want a and c", s.stored)
	}
	if p.Metrics.Conflicts.Load() != 1 || p.Metrics.Processed.Load() != 2 {
		t.Errorf("conflicts = %d, processed = %d; want 1 and 2", p.Metrics.Conflicts.Load(), p.Metrics.Processed.Load())
	}
}

func TestHandleReportsStoreFailuresToSinkHealth(t *testing.T) {
	missing := errors.New("table not found")
	w, s := &fakeWorker{}, &memorySink{failures: 1, err: missing}
	p := newProcessor(w, s)
	p.SinkHealth = &SinkHealth{Logger: p.Logger}
	_, err := p.Handle(context.Background(), requests("a"))
	if !errors.Is(err, ErrStore) || !errors.Is(err, missing) {
		t.Errorf("Handle() = %v, want ErrStore wrapping the sink's error", err)
	}
	if !errors.Is(p.SinkHealth.Err(), missing) {
		t.Errorf("SinkHealth.Err() = %v, want the sink's error", p.SinkHealth.Err())
	}
}

func TestHandleCutOffAtShutdownLeavesSinkHealthAlone(t *testing.T) {
	w, s := &fakeWorker{}, &memorySink{failures: 1, err: context.Canceled}
	p := newProcessor(w, s)
	p.SinkHealth = &SinkHealth{Logger: p.Logger}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Handle(ctx, requests("a")); !errors.Is(err, ErrStore) {
		t.Fatalf("Handle() = %v, want a store error", err)
	}
	if err := p.SinkHealth.Err(); err != nil {
		t.Errorf("SinkHealth.Err() = %v after a shutdown, want nil", err)
	}
}

func TestHandleCountsEachStoredResultOnceThoughRedelivered(t *testing.T) {
	w, s := &fakeWorker{}, &memorySink{}
	p := newProcessor(w, s)
	if _, err := p.Handle(context.Background(), requests("a", "b")); err != nil {
		t.Fatal(err)
	}
	// The queue delivers a and b again (a visibility timeout ran out), with c.
	if _, err := p.Handle(context.Background(), requests("a", "b", "c")); err != nil {
		t.Fatal(err)
	}
	if got := p.Metrics.Processed.Load(); got != int64(len(s.stored)) || got != 3 {
		t.Errorf("processed = %d with %d results stored; want 3 and 3", got, len(s.stored))
	}
	if got := p.Metrics.StoredBefore.Load(); got != 2 {
		t.Errorf("stored before = %d, want 2 (the redelivered a and b)", got)
	}
}

func TestHandleRetriesOnlyTheResultsNotStoredAndCountsEachOnce(t *testing.T) {
	throttled := status.Error(codes.Unavailable, "slow down")
	w, s := &fakeWorker{}, &memorySink{failures: 1, partial: 2, err: throttled}
	p := newProcessor(w, s)
	if _, err := p.Handle(context.Background(), requests("a", "b", "c", "d")); err != nil {
		t.Fatal(err)
	}
	if len(s.put) != 2 || s.put[0] != 4 || s.put[1] != 2 {
		t.Errorf("puts of %v entries, want [4 2]: the retry puts only c and d", s.put)
	}
	if p.Metrics.Processed.Load() != 4 || p.Metrics.StoredBefore.Load() != 0 {
		t.Errorf("processed = %d, stored before = %d; want 4 and 0", p.Metrics.Processed.Load(), p.Metrics.StoredBefore.Load())
	}
}

func TestHandleCountsWhatItStoredBeforeFailing(t *testing.T) {
	throttled := status.Error(codes.Unavailable, "slow down")
	w, s := &fakeWorker{}, &memorySink{failures: 1, partial: 1, err: throttled}
	p := newProcessor(w, s)
	p.Retry.Attempts = 1
	if _, err := p.Handle(context.Background(), requests("a", "b")); !errors.Is(err, ErrStore) {
		t.Fatalf("Handle() = %v, want a store error", err)
	}
	// a is stored now, so its redelivery must not count it again: it counts here, once.
	if p.Metrics.Processed.Load() != 1 {
		t.Errorf("processed = %d, want 1 (a, stored before the sink gave out)", p.Metrics.Processed.Load())
	}
	if _, err := p.Handle(context.Background(), requests("a", "b")); err != nil {
		t.Fatal(err)
	}
	if p.Metrics.Processed.Load() != 2 || p.Metrics.StoredBefore.Load() != 1 {
		t.Errorf("processed = %d, stored before = %d; want 2 and 1", p.Metrics.Processed.Load(), p.Metrics.StoredBefore.Load())
	}
}
