package workerclient_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
)

// A worker whose every replica answers UNAVAILABLE must not get two calls for each one the
// callers make: the pipelines retry each message themselves, and a replay per attempt on top
// doubles the load on a worker that is already down. Retry throttling turns replays off after
// a few failures in a row.
func TestReplaysStopWhenTheWorkerKeepsFailing(t *testing.T) {
	const calls = 20
	w := &flakyWorker{failures: 1 << 30, code: codes.Unavailable}
	addr, _, _ := serve(t, w)
	c := newClient(t, addr, realCeiling)

	for i := range calls {
		_, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"})
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("call %d: error %v, want UNAVAILABLE", i, err)
		}
	}
	// Unthrottled, every call is replayed once: 2*calls. Throttled, the first few failures
	// spend the channel's tokens, and the rest go out once.
	if got := w.calls.Load(); got > calls+5 {
		t.Errorf("the worker saw %d attempts for %d calls, want at most %d (replays throttled)", got, calls, calls+5)
	}
}

// Throttling must not cost a healthy worker its replay: a replica that restarts among many
// successes still has its UNAVAILABLE replayed.
func TestAnOccasionalFailureIsStillReplayed(t *testing.T) {
	w := &flakyWorker{failures: 1, code: codes.Unavailable}
	addr, _, _ := serve(t, w)
	c := newClient(t, addr, realCeiling)

	for i := range 3 {
		w.calls.Store(0)
		if _, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"}); err != nil {
			t.Fatalf("round %d: Score() error %v, want success on the replay", i, err)
		}
		for range 10 {
			if _, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"}); err != nil {
				t.Fatalf("round %d: Score() error %v", i, err)
			}
		}
	}
}
