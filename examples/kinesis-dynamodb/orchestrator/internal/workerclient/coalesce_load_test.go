package workerclient

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

func TestEveryMemberKeepsItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedWorker(t)
		c := NewCoalescer(g, CoalesceOptions{CallTimeout: time.Minute, Name: "t"})
		first := score(context.Background(), c, "first")
		g.expectStart(t, "Score")
		const hurry = 50 * time.Millisecond
		short, cancel := context.WithTimeout(context.Background(), hurry)
		defer cancel()
		sent := time.Now()
		hurried := score(short, c, "hurried")
		patient := score(context.Background(), c, "patient")
		waitQueued(t, c, 2)
		// Expires while queued: answered at its deadline, and taken out of the queue.
		if a := recv(t, hurried); status.Code(a.err) != codes.DeadlineExceeded || time.Since(sent) != hurry {
			t.Errorf("hurried: %+v after %v, want DEADLINE_EXCEEDED at its %v deadline", a, time.Since(sent), hurry)
		}
		waitQueued(t, c, 1)
		g.open()
		recv(t, first)
		if a := recv(t, patient); a.err != nil {
			t.Errorf("patient: %+v", a)
		}
		c.Close()
		if len(g.batches) != 1 || len(g.batches[0].GetRequests()) != 1 {
			t.Fatalf("batches %v, want one with the patient request only", g.batches)
		}
		// The batch lasts as long as its latest member may wait: CallTimeout from its arrival.
		if got := g.deadlines[0].Sub(sent); got != time.Minute {
			t.Errorf("batch deadline %v after the patient request, want its minute", got)
		}
	})
}

func TestAMemberThatExpiresInFlightIsAnsweredAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedWorker(t)
		c := NewCoalescer(g, CoalesceOptions{CallTimeout: time.Minute, Name: "t"})
		score(context.Background(), c, "first")
		g.expectStart(t, "Score")
		const hurry = 300 * time.Millisecond
		short, cancel := context.WithTimeout(context.Background(), hurry)
		defer cancel()
		sent := time.Now()
		hurried := score(short, c, "hurried")
		patient := score(context.Background(), c, "patient")
		waitQueued(t, c, 2)
		// Release the first call only: the batch then waits at the gate, which stays shut
		// until hurried is answered, so it cannot have waited for its batch.
		g.gate <- struct{}{}
		g.expectStart(t, "ScoreBatch")
		if a := recv(t, hurried); status.Code(a.err) != codes.DeadlineExceeded || time.Since(sent) != hurry {
			t.Errorf("hurried: %+v after %v, want DEADLINE_EXCEEDED at its %v deadline", a, time.Since(sent), hurry)
		}
		g.open()
		if a := recv(t, patient); a.err != nil || a.id != "patient" {
			t.Errorf("patient: %+v", a)
		}
		c.Close()
	})
}

// On synctest's clock, so "Close has not returned" is checked once all else is settled.
func TestCloseDrainsTheQueueAndRefusesNewRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedWorker(t)
		c := NewCoalescer(g, CoalesceOptions{CallTimeout: time.Minute, Name: "t"})
		first := score(context.Background(), c, "first")
		g.expectStart(t, "Score")
		queued := []<-chan answered{score(context.Background(), c, "q1"), score(context.Background(), c, "q2")}
		waitQueued(t, c, 2)
		closed := make(chan struct{})
		go func() { c.Close(); close(closed) }()
		for start := time.Now(); ; time.Sleep(time.Millisecond) {
			c.mu.Lock()
			closing := c.closed
			c.mu.Unlock()
			if closing {
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatal("Close did not begin")
			}
		}
		if _, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "late"}); status.Code(err) != codes.Unavailable {
			t.Errorf("a request after Close got %v, want UNAVAILABLE", err)
		}
		// Everything else settled: a Close that did not wait for the queue has returned by now,
		// however slow the machine, where a fixed wait could end before it got the chance.
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned with requests still queued")
		default:
		}
		g.open()
		recv(t, first)
		for _, ch := range queued {
			if a := recv(t, ch); a.err != nil {
				t.Errorf("queued request: %+v", a)
			}
		}
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not return after the drain")
		}
	})
}

// slowWorker answers every call after a short pause, like a busy worker.
type slowWorker struct{ gatedWorker }

func (s *slowWorker) Score(ctx context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	time.Sleep(time.Millisecond)
	return fakeScore(req)
}

func (s *slowWorker) ScoreBatch(ctx context.Context, req *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	time.Sleep(time.Millisecond)
	return s.gatedWorker.ScoreBatch(ctx, req)
}

func TestUnderLoadEveryCallerGetsItsOwnAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &slowWorker{gatedWorker{started: make(chan string, 100000)}}
		c := NewCoalescer(w, CoalesceOptions{MaxBatch: 16, MaxQueue: 64, Name: "t"})
		// Alone, an invalid request goes out as Score, and is answered as the worker would: the
		// load below sends some that way too, whenever nothing happens to be in flight.
		if _, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "bad-alone"}); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("bad-alone: got %v, want INVALID_ARGUMENT", err)
		}
		var wg sync.WaitGroup
		for g := range 64 {
			wg.Go(func() {
				for i := range 20 {
					id := fmt.Sprintf("g%d-%d", g, i)
					if i%7 == 3 {
						id = "bad" + id
					}
					resp, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: id})
					switch {
					case id[:3] == "bad" && status.Code(err) != codes.InvalidArgument:
						t.Errorf("%s: got %v, want INVALID_ARGUMENT", id, err)
					case id[:3] != "bad" && (err != nil || resp.GetId() != id):
						t.Errorf("%s: got %v, %v", id, resp, err)
					}
				}
			})
		}
		wg.Wait()
		c.Close()
		for _, b := range w.batches {
			if n := len(b.GetRequests()); n > 16 {
				t.Errorf("a batch of %d requests, over MaxBatch", n)
			}
		}
		if len(w.batches) == 0 {
			t.Error("64 concurrent callers never shared a call")
		}
	})
}
