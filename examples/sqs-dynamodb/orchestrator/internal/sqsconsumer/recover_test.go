package sqsconsumer

import (
	"context"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// A replica made unready by receives that kept failing is ready again as soon as SQS answers,
// even on an idle queue: the receive after a failure asks for no wait, so its empty answer
// comes at once rather than at the end of a 20s long poll.
func TestReadyAgainAtOnceWhenSQSRecoversOnAnIdleQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		c := New(q, handlerFunc(succeed), Config{
			QueueName: "requests", Concurrency: 1, LongPoll: 20 * time.Second,
			Retry:   pipeline.Retry{Base: 100 * time.Millisecond, Max: 200 * time.Millisecond},
			Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler),
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		defer func() { cancel(); <-done }()

		q.fail(&q.receiveErr, errSQS500)
		time.Sleep(c.cfg.LongPoll + 2*c.cfg.stallAfter()) // the first poll ends, then receives fail for long
		synctest.Wait()
		if c.Stalled() == nil {
			t.Fatal("Stalled() = nil after receives failed for twice stallAfter; want the consumer unready")
		}
		q.fail(&q.receiveErr, nil)
		time.Sleep(time.Second)
		synctest.Wait()
		if err := c.Stalled(); err != nil {
			t.Errorf("Stalled() = %v a second after SQS recovered on an idle queue; want nil", err)
		}
		q.mu.Lock()
		receives := q.receives
		q.mu.Unlock()
		time.Sleep(c.cfg.LongPoll)
		synctest.Wait()
		q.mu.Lock()
		defer q.mu.Unlock()
		// Back to long polling: one receive answered at once, then one wait of LongPoll.
		if extra := q.receives - receives; extra > 1 {
			t.Errorf("%d receives in the %v after recovery on an idle queue, want at most 1 (long polling again)", extra, c.cfg.LongPoll)
		}
	})
}
