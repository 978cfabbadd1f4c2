package pipeline

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
)

// Batches of several messages ask the worker for per-item results, so one invalid message
// fails only itself; these tests fail on a pipeline that sends plain ScoreBatch.

func TestHandleRejectsAnInvalidBatchItemWithoutAPerItemRound(t *testing.T) {
	w, s := &fakeWorker{}, &memorySink{}
	p := newProcessor(w, s)
	rejected, err := p.Handle(context.Background(), requests("a", "bad", "c", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	if w.batches != 1 || w.single != 0 {
		t.Errorf("%d ScoreBatch and %d Score calls, want 1 and 0: the batch's item results single out the invalid ones", w.batches, w.single)
	}
	if len(rejected) != 2 || status.Code(rejected[1]) != codes.InvalidArgument || status.Code(rejected[3]) != codes.InvalidArgument {
		t.Errorf("rejected = %v, want indexes 1 and 3 with INVALID_ARGUMENT", rejected)
	}
	if len(s.stored) != 2 || s.stored["a"] == nil || s.stored["c"] == nil || p.Metrics.Processed.Load() != 2 {
		t.Errorf("stored %v (processed %d), want a and c", s.stored, p.Metrics.Processed.Load())
	}
	if p.Metrics.Retried.Load() != 0 {
		t.Errorf("retried = %d, want 0: an invalid item is not transient", p.Metrics.Retried.Load())
	}
}

func TestHandleFallsBackToSinglesForAWorkerWithoutItemResults(t *testing.T) {
	w, s := &fakeWorker{legacy: true}, &memorySink{}
	rejected, err := newProcessor(w, s).Handle(context.Background(), requests("a", "bad", "c"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 1 || rejected[1] == nil || len(s.stored) != 2 || w.single != 3 {
		t.Errorf("rejected %v, stored %d after %d Score calls; want index 1, 2, 3", rejected, len(s.stored), w.single)
	}
}

func TestHandleRetriesAShedBatchWhole(t *testing.T) {
	w, s := &fakeWorker{failures: 1, code: codes.ResourceExhausted}, &memorySink{}
	p := newProcessor(w, s)
	rejected, err := p.Handle(context.Background(), requests("a", "bad", "c"))
	if err != nil {
		t.Fatal(err)
	}
	if w.batches != 2 || w.single != 0 || len(rejected) != 1 || len(s.stored) != 2 || p.Metrics.Retried.Load() != 1 {
		t.Errorf("%d batches, %d singles, rejected %v, stored %d, retried %d; want 2, 0, index 1, 2, 1", w.batches, w.single, rejected, len(s.stored), p.Metrics.Retried.Load())
	}
}

func TestHandleRetriesAnItemErrorThatIsNotTheItemsFault(t *testing.T) {
	w := &itemFailWorker{code: codes.Unavailable, times: 1}
	s := &memorySink{}
	p := newProcessor(nil, s)
	p.Scorer = w
	rejected, err := p.Handle(context.Background(), requests("a", "b"))
	if err != nil || len(rejected) != 0 || len(s.stored) != 2 || w.calls != 2 {
		t.Errorf("Handle() = %v, %v with %d stored after %d calls; want nil, none, 2, 2", rejected, err, len(s.stored), w.calls)
	}
}

// itemFailWorker answers item 0 of its first times batches with an item error of code.
type itemFailWorker struct {
	code  codes.Code
	times int
	calls int
}

func (w *itemFailWorker) Score(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	return nil, status.Error(codes.Unimplemented, "batches only")
}

func (w *itemFailWorker) ScoreBatch(_ context.Context, req *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	w.calls++
	out := &scoringv1.ScoreBatchResponse{}
	for i, r := range req.GetRequests() {
		if i == 0 && w.calls <= w.times {
			out.Results = append(out.Results, &scoringv1.ScoreResult{Outcome: &scoringv1.ScoreResult_Error{Error: &scoringv1.ItemError{Code: int32(w.code), Message: "injected"}}})
			continue
		}
		out.Results = append(out.Results, &scoringv1.ScoreResult{Outcome: &scoringv1.ScoreResult_Response{Response: &scoringv1.ScoreResponse{Id: r.GetId(), Score: 0.5}}})
	}
	return out, nil
}
