package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/results"
)

// fakeWorker scores a request as 0.5, fails the first failures calls with code, and rejects
// requests whose id is "bad" with INVALID_ARGUMENT, as a worker whose validation drifted would:
// as an item error when a batch asks for item_results, else by failing the whole batch, as a
// worker that predates item_results (legacy, or a caller that did not ask) does.
type fakeWorker struct {
	mu         sync.Mutex
	failures   int
	code       codes.Code
	legacy     bool
	single     int
	batches    int
	batchSizes []int
}

func (w *fakeWorker) fail() error {
	if w.failures > 0 {
		w.failures--
		return status.Error(w.code, "injected")
	}
	return nil
}

func (w *fakeWorker) Score(_ context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.single++
	if err := w.fail(); err != nil {
		return nil, err
	}
	if req.GetId() == "bad" {
		return nil, status.Error(codes.InvalidArgument, "id is bad")
	}
	return &scoringv1.ScoreResponse{Id: req.GetId(), Score: 0.5}, nil
}

func (w *fakeWorker) ScoreBatch(_ context.Context, req *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.batches++
	w.batchSizes = append(w.batchSizes, len(req.GetRequests()))
	if err := w.fail(); err != nil {
		return nil, err
	}
	out := &scoringv1.ScoreBatchResponse{}
	if req.GetItemResults() && !w.legacy {
		for _, r := range req.GetRequests() {
			if r.GetId() == "bad" {
				out.Results = append(out.Results, &scoringv1.ScoreResult{Outcome: &scoringv1.ScoreResult_Error{Error: &scoringv1.ItemError{Code: int32(codes.InvalidArgument), Message: "id is bad"}}})
				continue
			}
			out.Results = append(out.Results, &scoringv1.ScoreResult{Outcome: &scoringv1.ScoreResult_Response{Response: &scoringv1.ScoreResponse{Id: r.GetId(), Score: 0.5}}})
		}
		return out, nil
	}
	for _, r := range req.GetRequests() {
		if r.GetId() == "bad" {
			return nil, status.Error(codes.InvalidArgument, "requests: id is bad")
		}
		out.Responses = append(out.Responses, &scoringv1.ScoreResponse{Id: r.GetId(), Score: 0.5})
	}
	return out, nil
}

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

func newProcessor(w *fakeWorker, s *memorySink) *Processor {
	return &Processor{
		Scorer:  w,
		Sink:    s,
		Retry:   Retry{Attempts: 3, Sleep: func(context.Context, time.Duration) error { return nil }},
		Metrics: &ops.Metrics{},
		Logger:  slog.New(slog.DiscardHandler),
	}
}

func requests(ids ...string) []*scoringv1.ScoreRequest {
	reqs := make([]*scoringv1.ScoreRequest, len(ids))
	for i, id := range ids {
		reqs[i] = &scoringv1.ScoreRequest{Id: id}
	}
	return reqs
}

func TestHandleScoresOneWithScoreAndSeveralWithScoreBatch(t *testing.T) {
	w, s := &fakeWorker{}, &memorySink{}
	p := newProcessor(w, s)
	if _, err := p.Handle(context.Background(), requests("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Handle(context.Background(), requests("b", "c", "d")); err != nil {
		t.Fatal(err)
	}
	if w.single != 1 || w.batches != 1 || len(s.stored) != 4 {
		t.Errorf("%d Score and %d ScoreBatch calls, %d stored; want 1, 1, 4", w.single, w.batches, len(s.stored))
	}
	if got := p.Metrics.Processed.Load(); got != 4 {
		t.Errorf("processed = %d, want 4", got)
	}
}

func TestHandleSplitsAtTheWorkersBatchLimit(t *testing.T) {
	w, s := &fakeWorker{}, &memorySink{}
	ids := make([]string, 2500)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	if _, err := newProcessor(w, s).Handle(context.Background(), requests(ids...)); err != nil {
		t.Fatal(err)
	}
	if len(w.batchSizes) != 3 || w.batchSizes[0] != 1000 || w.batchSizes[2] != 500 {
		t.Errorf("batch sizes %v, want [1000 1000 500]", w.batchSizes)
	}
}

func TestHandleRetriesTransientWorkerFailures(t *testing.T) {
	w, s := &fakeWorker{failures: 2, code: codes.Unavailable}, &memorySink{}
	p := newProcessor(w, s)
	if _, err := p.Handle(context.Background(), requests("a", "b")); err != nil {
		t.Fatalf("Handle() = %v, want success on the third attempt", err)
	}
	if got := p.Metrics.Retried.Load(); got != 2 {
		t.Errorf("retried = %d, want 2", got)
	}
}

func TestHandleFailsWhenRetriesRunOut(t *testing.T) {
	w, s := &fakeWorker{failures: 10, code: codes.Unavailable}, &memorySink{}
	p := newProcessor(w, s)
	_, err := p.Handle(context.Background(), requests("a", "b"))
	if status.Code(err) != codes.Unavailable || w.batches != 3 || len(s.stored) != 0 {
		t.Errorf("got %v after %d calls with %d stored; want UNAVAILABLE after 3 with none", err, w.batches, len(s.stored))
	}
	if got := p.Metrics.Failed.Load(); got != 2 {
		t.Errorf("failed = %d, want 2", got)
	}
}

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

func TestHandleSinglesOutRequestsTheWorkerRejects(t *testing.T) {
	w, s := &fakeWorker{}, &memorySink{}
	rejected, err := newProcessor(w, s).Handle(context.Background(), requests("a", "bad", "c"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 1 || rejected[1] == nil {
		t.Errorf("rejected = %v, want index 1 only", rejected)
	}
	if len(s.stored) != 2 || s.stored["a"] == nil || s.stored["c"] == nil {
		t.Errorf("stored %v, want a and c", s.stored)
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

func TestDecode(t *testing.T) {
	if req, err := Decode([]byte(`{"id":"t-1","numericFeatures":{"amount":42}}`)); err != nil || req.GetId() != "t-1" {
		t.Errorf("Decode(valid) = %v, %v", req, err)
	}
	for _, body := range []string{`not json`, `{"id":""}`, `{"id":"x","unknown":1}`, `{"id":"x","numericFeatures":{"a":"NaN"}}`} {
		if _, err := Decode([]byte(body)); err == nil {
			t.Errorf("Decode(%s) accepted poison", body)
		}
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
