package workerclient

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

func TestEveryMemberKeepsItsDeadline(t *testing.T) {
	g := newGatedWorker()
	c := NewCoalescer(g, CoalesceOptions{CallTimeout: time.Minute, Name: "t"})
	first := score(context.Background(), c, "first")
	g.expectStart(t, "Score")
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	hurried := score(short, c, "hurried")
	patient := score(context.Background(), c, "patient")
	waitQueued(t, c, 2)
	// Expires while queued: answered at once, and taken out of the queue.
	if a := recv(t, hurried); status.Code(a.err) != codes.DeadlineExceeded {
		t.Errorf("hurried: %+v, want DEADLINE_EXCEEDED", a)
	}
	waitQueued(t, c, 1)
	close(g.gate)
	recv(t, first)
	if a := recv(t, patient); a.err != nil {
		t.Errorf("patient: %+v", a)
	}
	c.Close()
	if len(g.batches) != 1 || len(g.batches[0].GetRequests()) != 1 {
		t.Fatalf("batches %v, want one with the patient request only", g.batches)
	}
	// The batch lasts as long as its latest member may wait: CallTimeout from its arrival.
	if left := time.Until(g.deadlines[0]); left < 50*time.Second {
		t.Errorf("batch deadline %v away, want about a minute", left)
	}
}

func TestAMemberThatExpiresInFlightIsAnsweredAtOnce(t *testing.T) {
	g := newGatedWorker()
	c := NewCoalescer(g, CoalesceOptions{CallTimeout: time.Minute, Name: "t"})
	score(context.Background(), c, "first")
	g.expectStart(t, "Score")
	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	hurried := score(short, c, "hurried")
	patient := score(context.Background(), c, "patient")
	waitQueued(t, c, 2)
	// Release the first call only: the batch then waits at the gate for the next token.
	g.gate <- struct{}{}
	g.expectStart(t, "ScoreBatch")
	start := time.Now()
	if a := recv(t, hurried); status.Code(a.err) != codes.DeadlineExceeded {
		t.Errorf("hurried: %+v, want DEADLINE_EXCEEDED", a)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the expired member waited %v for its batch", d)
	}
	close(g.gate)
	if a := recv(t, patient); a.err != nil || a.id != "patient" {
		t.Errorf("patient: %+v", a)
	}
	c.Close()
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
}
