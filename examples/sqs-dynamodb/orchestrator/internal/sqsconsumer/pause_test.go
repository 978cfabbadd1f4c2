package sqsconsumer

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
)

// An outage of the results table longer than maxReceiveCount visibility timeouts must not
// dead-letter healthy messages: the failure pauses receiving, releases what is in hand, and
// each message costs one receive more than it would have, however long the outage lasts.
func TestASinkOutagePausesReceivingAndCostsOneReceive(t *testing.T) {
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
		done := make(chan error)
		go func() { done <- c.Run(ctx) }()
		time.Sleep(10 * time.Minute) // Twenty visibility timeouts.
		synctest.Wait()
		q.mu.Lock()
		during := maps.Clone(q.received)
		q.mu.Unlock()
		if deleted, _, _ := q.snapshot(); len(deleted) != 0 || during["a"] != 1 || during["b"] != 1 {
			t.Errorf("during the outage: deleted %v, receives %v; want none deleted, each received once", deleted, during)
		}
		healthy.Store(true)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		q.mu.Lock()
		after := maps.Clone(q.received)
		q.mu.Unlock()
		deleted, _, _ := q.snapshot()
		slices.Sort(deleted)
		if !slices.Equal(deleted, []string{"a", "b"}) || after["a"] != 2 || after["b"] != 2 {
			t.Errorf("after the outage: deleted %v, receives %v; want both deleted after two receives each", deleted, after)
		}
		cancel()
		<-done
	})
}

func TestReleasesWhatArrivesOnceUnready(t *testing.T) {
	q := &fakeSQS{pending: []types.Message{valid("a")}}
	c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
		t.Error("handled while unready")
		return nil, nil
	})
	var checks atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	// Ready before the receive, not after it: the sink failed during the long poll.
	c.cfg.Ready = func() bool {
		if checks.Add(1) > 1 {
			cancel()
			return false
		}
		return true
	}
	c.loop(ctx, context.Background())
	if _, visibility, _ := q.snapshot(); !slices.Equal(visibility["a"], []int32{0}) {
		t.Errorf("visibility changes %v, want a released with 0", visibility)
	}
}
