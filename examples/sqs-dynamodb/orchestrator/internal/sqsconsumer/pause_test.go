package sqsconsumer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// An outage of the results table longer than maxReceiveCount visibility timeouts must not
// dead-letter healthy messages, nor spend their receives at all: the failure pauses receiving,
// the messages in hand stay hidden (never released) and are retried in place once it is over.
func TestASinkOutageKeepsMessagesInHandAndCostsNoReceive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{pending: []types.Message{valid("a"), valid("b")}}
		var healthy atomic.Bool
		healthy.Store(true)
		var calls atomic.Int32
		c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
			if calls.Add(1) == 1 {
				healthy.Store(false) // What Processor does through SinkHealth.
				return nil, errors.New("storing results: table not found")
			}
			return nil, nil
		})
		c.cfg.Ready = healthy.Load
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on a failure too, so Run ends with the bubble
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		time.Sleep(10 * time.Minute) // Twenty visibility timeouts.
		synctest.Wait()
		q.mu.Lock()
		during := maps.Clone(q.received)
		q.mu.Unlock()
		deleted, visibility, _ := q.snapshot()
		if len(deleted) != 0 || during["a"] != 1 || during["b"] != 1 || calls.Load() != 1 {
			t.Errorf("during the outage: deleted %v, receives %v, handled %d times; want none deleted, each received and handled once", deleted, during, calls.Load())
		}
		if slices.Contains(visibility["a"], 0) || len(visibility["a"]) < 19 {
			t.Errorf("during the outage: visibility of a set to %v; want extended all along, never released", visibility["a"])
		}
		healthy.Store(true)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		q.mu.Lock()
		after := maps.Clone(q.received)
		q.mu.Unlock()
		deleted, visibility, _ = q.snapshot()
		slices.Sort(deleted)
		if !slices.Equal(deleted, []string{"a", "b"}) || after["a"] != 1 || after["b"] != 1 || calls.Load() != 2 || slices.Contains(visibility["a"], 0) {
			t.Errorf("after the outage: deleted %v, receives %v, handled %d times; want both stored by one retry in place and deleted, received once each, never released", deleted, after, calls.Load())
		}
		cancel()
		<-done
	})
}

// Messages that arrive as the worker goes down (during the long poll) are kept hidden and
// handled once it is back, not handed back to be received, and counted, again.
func TestKeepsWhatArrivesOnceUnreadyUntilReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{pending: []types.Message{valid("a")}}
		var handled atomic.Int32
		var up atomic.Bool
		c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
			if !up.Load() {
				t.Error("handled while unready")
			}
			handled.Add(1)
			return nil, nil
		})
		var checks atomic.Int32
		// Ready before the receive, not after it: the worker went down during the long poll.
		c.cfg.Ready = func() bool { return checks.Add(1) == 1 || up.Load() }
		ctx, cancel := context.WithCancel(context.Background())
		go c.loop(ctx, context.Background())
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if _, visibility, _ := q.snapshot(); handled.Load() != 0 || slices.Contains(visibility["a"], 0) {
			t.Errorf("while down: handled %d times, visibility %v; want kept hidden, unhandled", handled.Load(), visibility)
		}
		up.Store(true)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if deleted, visibility, _ := q.snapshot(); handled.Load() != 1 || !slices.Equal(deleted, []string{"a"}) || slices.Contains(visibility["a"], 0) {
			t.Errorf("once up: handled %d times, deleted %v, visibility %v; want handled once and deleted, never released", handled.Load(), deleted, visibility)
		}
		cancel()
		time.Sleep(receiveGrace) // the long poll in flight
		synctest.Wait()
	})
}

// Waiting out an outage gives up only at shutdown: once the shutdown timeout cuts the work
// off, the messages in hand are released to another consumer rather than held to the end.
func TestShutdownDuringAnOutageReleasesTheMessagesInHand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{pending: []types.Message{valid("a")}}
		var healthy atomic.Bool
		healthy.Store(true)
		c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
			healthy.Store(false)
			return nil, errors.New("scoring: worker unavailable")
		})
		c.cfg.Ready = healthy.Load
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on a failure too, so Run ends with the bubble
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		time.Sleep(time.Minute)
		synctest.Wait()
		if _, visibility, _ := q.snapshot(); slices.Contains(visibility["a"], 0) {
			t.Fatalf("released during the outage: visibility %v", visibility["a"])
		}
		cancel()
		start := time.Now()
		<-done
		deleted, visibility, _ := q.snapshot()
		if v := visibility["a"]; len(deleted) != 0 || len(v) == 0 || v[len(v)-1] != 0 || time.Since(start) != c.cfg.ShutdownTimeout {
			t.Errorf("after %v: deleted %v, visibility %v; want a released at the shutdown timeout", time.Since(start), deleted, v)
		}
	})
}

// releaseHangs is a queue whose visibility releases (timeout 0) hang until their context ends,
// as on an SQS endpoint that stopped answering.
type releaseHangs struct{ *fakeSQS }

func (q releaseHangs) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	if in.Entries[0].VisibilityTimeout == 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return q.fakeSQS.ChangeMessageVisibilityBatch(ctx, in, opts...)
}

// Shutdown is bounded however the queue behaves: the work is cut off at the shutdown timeout,
// and the tidying after it (here a release that never answers) at TidyGrace more, which is
// what the platform's grace period is sized by.
func TestShutdownEndsWithinTheTimeoutAndTidyGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{pending: []types.Message{valid("a")}}
		c := newConsumer(t, q, func(ctx context.Context, _ []*scoringv1.ScoreRequest) (map[int]error, error) {
			<-ctx.Done() // a batch that is still scoring when the work is cut off
			return nil, ctx.Err()
		})
		c.client = releaseHangs{q}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on a failure too, so Run ends with the bubble
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		time.Sleep(time.Second)
		synctest.Wait()
		cancel()
		start := time.Now()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if took, want := time.Since(start), c.cfg.ShutdownTimeout+c.cfg.TidyGrace; took != want {
			t.Errorf("Run returned %v after its context ended; want %v (shutdown timeout %v + tidy grace %v)", took, want, c.cfg.ShutdownTimeout, c.cfg.TidyGrace)
		}
	})
}

// A worker shedding load (RESOURCE_EXHAUSTED) for longer than many visibility timeouts costs
// the messages no receive and never dead-letters them: they stay hidden and are retried in
// place after exponentially growing, capped, jittered waits until the worker takes them.
func TestSheddingBacksOffInPlaceAndCostsNoReceive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{pending: []types.Message{valid("a"), valid("b")}, redrive: redrive}
		const sheds = 12
		var calls atomic.Int32
		c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
			if calls.Add(1) <= sheds {
				return nil, fmt.Errorf("scoring: %w", status.Error(codes.ResourceExhausted, "scoring worker is at its in-flight limit"))
			}
			return nil, nil
		})
		var waits []time.Duration
		c.cfg.Retry = pipeline.Retry{
			Base: time.Second, Max: 30 * time.Second,
			Rand: func(n int64) int64 { return n - 1 }, // the ceiling: the longest wait the jitter may draw
			Sleep: func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				return pipeline.Sleep(ctx, d)
			},
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on a failure too, so Run ends with the bubble
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		q.mu.Lock()
		received := maps.Clone(q.received)
		q.mu.Unlock()
		deleted, visibility, deadLettered := q.snapshot()
		slices.Sort(deleted)
		if !slices.Equal(deleted, []string{"a", "b"}) || received["a"] != 1 || received["b"] != 1 || deadLettered != 0 || calls.Load() != sheds+1 {
			t.Errorf("deleted %v, receives %v, dead-lettered %d, handled %d times; want both stored after %d sheds, received once each, none dead-lettered", deleted, received, deadLettered, calls.Load(), sheds)
		}
		if slices.Contains(visibility["a"], 0) || len(visibility["a"]) < 5 {
			t.Errorf("visibility of a set to %v; want extended all through the backoff, never released", visibility["a"])
		}
		want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30, 30, 30, 30, 30}
		for i := range want {
			want[i] *= time.Second
		}
		if !slices.Equal(waits, want) {
			t.Errorf("waits %v, want %v: exponential from Retry.Base, capped at Retry.Max", waits, want)
		}
		cancel()
		<-done
	})
}
