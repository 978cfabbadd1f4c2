package workerclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
)

// gatedWorker answers every call once its gate opens (at once while the gate is nil),
// recording what it was sent. Ids starting with "bad" are invalid (see invalid): a Score
// call fails INVALID_ARGUMENT and a per-item batch gets an item error, as the worker answers.
type gatedWorker struct {
	mu        sync.Mutex
	gate      chan struct{}
	opened    sync.Once
	started   chan string
	scores    int
	batches   []*scoringv1.ScoreBatchRequest
	deadlines []time.Time
}

// newGatedWorker is a gatedWorker whose gate is shut until open, or the test's end: a test
// that fails with calls still at the gate leaves no goroutine blocked behind it, which in a
// synctest bubble would panic after the failure and bury it.
func newGatedWorker(t *testing.T) *gatedWorker {
	g := &gatedWorker{gate: make(chan struct{}), started: make(chan string, 100)}
	t.Cleanup(g.open)
	return g
}

// open lets every call through the gate, now and later.
func (g *gatedWorker) open() { g.opened.Do(func() { close(g.gate) }) }

func (g *gatedWorker) wait(ctx context.Context, kind string) error {
	g.started <- kind
	if g.gate == nil {
		return nil
	}
	select {
	case <-g.gate:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

func (g *gatedWorker) Score(ctx context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	g.mu.Lock()
	g.scores++
	g.mu.Unlock()
	if err := g.wait(ctx, "Score"); err != nil {
		return nil, err
	}
	return fakeScore(req)
}

// invalid is the fakes' stand-in for the worker's validation.
func invalid(id string) bool { return strings.HasPrefix(id, "bad") }

// fakeScore is what the worker answers a Score call of req.
func fakeScore(req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	if invalid(req.GetId()) {
		return nil, status.Error(codes.InvalidArgument, "id: bad")
	}
	return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
}

func (g *gatedWorker) ScoreBatch(ctx context.Context, req *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	deadline, _ := ctx.Deadline()
	g.mu.Lock()
	g.batches = append(g.batches, req)
	g.deadlines = append(g.deadlines, deadline)
	g.mu.Unlock()
	if err := g.wait(ctx, "ScoreBatch"); err != nil {
		return nil, err
	}
	resp := &scoringv1.ScoreBatchResponse{}
	for _, r := range req.GetRequests() {
		if invalid(r.GetId()) {
			resp.Results = append(resp.Results, &scoringv1.ScoreResult{Outcome: &scoringv1.ScoreResult_Error{Error: &scoringv1.ItemError{Code: int32(codes.InvalidArgument), Message: "id: bad"}}})
			continue
		}
		resp.Results = append(resp.Results, &scoringv1.ScoreResult{Outcome: &scoringv1.ScoreResult_Response{Response: &scoringv1.ScoreResponse{Id: r.GetId()}}})
	}
	return resp, nil
}

func (g *gatedWorker) Health() Health { return HealthServing }

func (g *gatedWorker) expectStart(t *testing.T, kind string) {
	t.Helper()
	select {
	case got := <-g.started:
		if got != kind {
			t.Fatalf("worker got a %s call, want %s", got, kind)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s call reached the worker", kind)
	}
}

type answered struct {
	id  string
	err error
}

// score sends req through c in the background; its answer arrives on the returned channel.
func score(ctx context.Context, c *Coalescer, id string) <-chan answered {
	out := make(chan answered, 1)
	go func() {
		resp, err := c.Score(ctx, &scoringv1.ScoreRequest{Id: id})
		out <- answered{resp.GetId(), err}
	}()
	return out
}

// waitQueued returns once n requests wait in c's queue. Like recv and expectStart, it is
// for tests in a synctest bubble, where its bound is on the bubble's clock: exact, and spent
// at once when nothing else can happen, however loaded the machine.
func waitQueued(t *testing.T, c *Coalescer, n int) {
	t.Helper()
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		got := len(c.queue)
		c.mu.Unlock()
		if got == n {
			return
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%d requests queued, want %d", got, n)
		}
	}
}

func recv(t *testing.T, ch <-chan answered) answered {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no answer")
		return answered{}
	}
}

// "At once" is checked on synctest's clock, which moves only while every goroutine waits:
// any timer or sleep on the way (a batching window, a backoff) shows as time passed, and a
// busy machine does not (a wall-clock bound would be either loose or flaky).
func TestAnIdleWorkerGetsASingleRequestAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &gatedWorker{started: make(chan string, 1)} // nil gate: answers at once
		c := NewCoalescer(g, CoalesceOptions{Name: "t"})
		defer c.Close()
		start := time.Now()
		resp, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"})
		if err != nil || resp.GetId() != "a" {
			t.Fatalf("got %v, %v", resp, err)
		}
		if g.scores != 1 || len(g.batches) != 0 {
			t.Errorf("worker got %d Score and %d ScoreBatch calls, want the request alone", g.scores, len(g.batches))
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("an idle request waited %v", d)
		}
	})
}

func TestConcurrentRequestsShareOneBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedWorker(t)
		c := NewCoalescer(g, CoalesceOptions{Name: "t"})
		first := score(context.Background(), c, "first")
		g.expectStart(t, "Score")
		var waiting []<-chan answered
		for i := range 10 {
			waiting = append(waiting, score(context.Background(), c, fmt.Sprint("r", i)))
		}
		waitQueued(t, c, 10)
		g.open()
		if a := recv(t, first); a.err != nil || a.id != "first" {
			t.Errorf("first: %+v", a)
		}
		for i, ch := range waiting {
			if a := recv(t, ch); a.err != nil || a.id != fmt.Sprint("r", i) {
				t.Errorf("r%d: %+v", i, a)
			}
		}
		c.Close()
		if len(g.batches) != 1 || len(g.batches[0].GetRequests()) != 10 || !g.batches[0].GetItemResults() {
			t.Fatalf("worker got batches %v, want one of 10 asking for item results", g.batches)
		}
	})
}

func TestAFullBatchGoesOutWithoutWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedWorker(t)
		c := NewCoalescer(g, CoalesceOptions{MaxBatch: 3, Name: "t"})
		score(context.Background(), c, "first")
		g.expectStart(t, "Score")
		for i := range 3 {
			score(context.Background(), c, fmt.Sprint("r", i))
		}
		g.expectStart(t, "ScoreBatch") // while the first call is still out
		g.open()
		c.Close()
	})
}

func TestAnInvalidItemFailsOnlyItsCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedWorker(t)
		c := NewCoalescer(g, CoalesceOptions{Name: "t"})
		score(context.Background(), c, "first")
		g.expectStart(t, "Score")
		good := score(context.Background(), c, "good")
		waitQueued(t, c, 1)
		bad := score(context.Background(), c, "bad")
		waitQueued(t, c, 2)
		g.open()
		if a := recv(t, bad); status.Code(a.err) != codes.InvalidArgument || status.Convert(a.err).Message() != "id: bad" {
			t.Errorf("bad: %+v, want its own INVALID_ARGUMENT", a)
		}
		if a := recv(t, good); a.err != nil || a.id != "good" {
			t.Errorf("good: %+v", a)
		}
		c.Close()
	})
}

// On synctest's clock, as TestAnIdleWorkerGetsASingleRequestAtOnce.
func TestAFullQueueFailsFastWithResourceExhausted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedWorker(t)
		c := NewCoalescer(g, CoalesceOptions{MaxQueue: 2, Name: "t"})
		score(context.Background(), c, "first")
		g.expectStart(t, "Score")
		score(context.Background(), c, "q1")
		score(context.Background(), c, "q2")
		waitQueued(t, c, 2)
		start := time.Now()
		_, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "over"})
		if !errors.Is(err, ErrQueueFull) || status.Code(err) != codes.ResourceExhausted || time.Since(start) != 0 {
			t.Errorf("got %v after %v, want ErrQueueFull (RESOURCE_EXHAUSTED) at once", err, time.Since(start))
		}
		g.open()
		c.Close()
	})
}

func TestOffSendsEveryRequestAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedWorker(t)
		c := NewCoalescer(g, CoalesceOptions{Off: true, Name: "t"})
		var all []<-chan answered
		for i := range 5 {
			all = append(all, score(context.Background(), c, fmt.Sprint("r", i)))
		}
		for range 5 {
			g.expectStart(t, "Score")
		}
		g.open()
		for _, ch := range all {
			recv(t, ch)
		}
		if len(g.batches) != 0 {
			t.Errorf("COALESCE=off made %d batches", len(g.batches))
		}
	})
}
