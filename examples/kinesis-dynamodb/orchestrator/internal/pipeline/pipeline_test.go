package pipeline

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/ops"
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
