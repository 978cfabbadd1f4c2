package sqsconsumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// heartbeat keeps msgs hidden while they are in hand: every third of the visibility timeout it
// extends them by a whole timeout again. Slow work (a worker restarting, an outage waited out)
// thus never lets a message reappear, be received by another consumer and spend a receive of
// its poison budget, while the messages of a consumer that crashed still come back within one
// timeout. received is when SQS hid them. The returned func stops it.
//
// An extension that fails or is slow to answer is retried at once, not at the next tick: each
// attempt may take all the time left before the messages' current visibility runs out (tracked
// on the monotonic clock from the last extension that succeeded), less a margin for the
// request's own latency. A fixed bound would give up on a slow but working SQS while time
// was left, and let the messages reappear. The retries of one period count as one failure, on
// orchestrator_acknowledge_failures_total and readiness (changeVisibility's retry); a period
// that ends with the visibility run out counts on readiness by itself (lapsed). While
// visibility changes are failing, it first extends msgs at once (probeVisibility).
func (c *Consumer) heartbeat(ctx context.Context, msgs []types.Message, received time.Time) (stop func()) {
	c.probeVisibility(ctx, msgs)
	ctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		timeout := c.cfg.VisibilityTimeout
		margin := min(time.Second, timeout/10)
		hiddenUntil := received.Add(timeout)
		for {
			if sleepUntil(ctx, hiddenUntil.Add(-timeout).Add(timeout/3)) != nil {
				return
			}
			var lastErr error
			for attempt := 1; ; attempt++ {
				left := time.Until(hiddenUntil) - margin
				if left <= 0 {
					c.lapsed(msgs, attempt-1, lastErr)
					return
				}
				asked := time.Now()
				extendCtx, cancelExtend := context.WithTimeout(ctx, left)
				lastErr = c.changeVisibility(extendCtx, msgs, timeout, attempt > 1)
				cancelExtend()
				if ctx.Err() != nil {
					return
				}
				if lastErr == nil {
					// SQS counts the new timeout from when it handled the call: no earlier than asked.
					hiddenUntil = asked.Add(timeout)
					break
				}
				// Brief pause, so that a failing SQS is not hammered; far below the margin.
				if sleepUntil(ctx, time.Now().Add(min(margin/4, 200*time.Millisecond))) != nil {
					return
				}
			}
		}
	}()
	return func() {
		cancel()
		<-stopped
	}
}

// probeVisibility extends msgs at once while visibility changes are failing (pipeline.Stalls
// has their run open), so that the first one that works ends the run on readiness. Without
// it a run, a lapse above all (lapsed), would hold the replica unready for as long as work is
// fast enough to need no extension, however well SQS answers meanwhile. A failure adds nothing
// to the run already open, as a heartbeat's retry does not (changeVisibility's retry); the
// extension itself does no harm, and its bound is one answer's.
func (c *Consumer) probeVisibility(ctx context.Context, msgs []types.Message) {
	if !c.stalls.Failing(pipeline.Dependency{What: ops.CallChangeMessageVisibilityBatch}) {
		return
	}
	probe, cancel := c.answering(ctx)
	defer cancel()
	_ = c.changeVisibility(probe, msgs, c.cfg.VisibilityTimeout, true)
}

// lapsed reports that msgs' visibility ran out before it could be extended, after attempts
// failed extensions, the last with err. Another consumer may receive them now: our receipt
// handles go stale, the delete after handling fails, and the stored results make that
// redelivery a no-op, but it spends a receive of each message's poison budget. That harm is
// done whether one extension failed or many, so it counts on readiness as a run by itself
// (pipeline.Stalls.Lost): a lone message in hand must not lose its lease unnoticed.
func (c *Consumer) lapsed(msgs []types.Message, attempts int, err error) {
	if err == nil {
		err = errors.New("no extension was attempted in time")
	}
	c.cfg.Logger.Warn("visibility of messages in hand ran out before it could be extended; they may be redelivered", "messages", len(msgs), "attempts", attempts, "error", err)
	c.stalls.Lost(pipeline.Dependency{What: ops.CallChangeMessageVisibilityBatch}, fmt.Errorf("visibility of %d messages in hand ran out: %w", len(msgs), err))
}

// sleepUntil waits until t or ctx is done, returning ctx's error in the latter case.
func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
