package sqsconsumer

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
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
// orchestrator_acknowledge_failures_total and readiness (changeVisibility's retry).
func (c *Consumer) heartbeat(ctx context.Context, msgs []types.Message, received time.Time) (stop func()) {
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
			for attempt := 1; ; attempt++ {
				left := time.Until(hiddenUntil) - margin
				if left <= 0 {
					// Another consumer may receive them now: our receipt handles go stale, the
					// delete after handling fails, and the stored results make that redelivery a no-op.
					c.cfg.Logger.Warn("visibility of messages in hand ran out before it could be extended; they may be redelivered", "messages", len(msgs), "attempts", attempt-1)
					return
				}
				asked := time.Now()
				extendCtx, cancelExtend := context.WithTimeout(ctx, left)
				ok := c.changeVisibility(extendCtx, msgs, timeout, attempt > 1)
				cancelExtend()
				if ctx.Err() != nil {
					return
				}
				if ok {
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
