package sqsconsumer

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// errSQS500 is what a receive or delete gets from an SQS that answers 500 (or a dropped
// connection): an error that is not the request's fault.
var errSQS500 = errors.New("operation error SQS: ReceiveMessage, https response error StatusCode: 500, api error InternalError")

// runStalling starts a consumer of q on synctest's clock, with a stallAfter of 1.2s (a 1s long
// poll and 200ms answers), and returns it with a func that stops it. Call it in a bubble.
func runStalling(t *testing.T, q *fakeSQS) (*Consumer, func()) {
	t.Helper()
	c := New(q, handlerFunc(succeed), Config{
		QueueName: "requests", Concurrency: 2, LongPoll: time.Second, AnswerTimeout: 200 * time.Millisecond,
		VisibilityTimeout: 30 * time.Second, ShutdownTimeout: time.Second, TidyGrace: time.Second,
		Retry:   pipeline.Retry{Base: 100 * time.Millisecond, Max: 200 * time.Millisecond},
		Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	time.Sleep(10 * time.Millisecond) // resolved and receiving
	synctest.Wait()
	if !c.Running() {
		t.Fatal("consumer not running")
	}
	return c, func() {
		cancel()
		<-done
	}
}

// One failed receive (a 500, a blip) is retried and leaves readiness alone: every replica
// sees the same hiccup, and taking them all out for it would stop all consuming for nothing.
func TestASingleFailedReceiveLeavesTheConsumerReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		c, stop := runStalling(t, q)
		defer stop()
		// Both loops are long-polling an empty queue: the next receive to start fails once.
		q.fail(&q.receiveErr, errSQS500)
		time.Sleep(time.Second) // the polls end, and each loop's next receive fails
		synctest.Wait()
		q.fail(&q.receiveErr, nil)
		if err := c.Stalled(); err != nil {
			t.Errorf("Stalled() = %v right after a receive failed once; want nil (one failure is a blip)", err)
		}
		time.Sleep(3 * c.cfg.stallAfter())
		synctest.Wait()
		if err := c.Stalled(); err != nil {
			t.Errorf("Stalled() = %v after receives succeeded again; want nil", err)
		}
	})
}

// Receives that keep failing make the replica unready once they have failed for longer than
// stallAfter, with a reason naming the call, not before; the first one that succeeds makes it
// ready again.
func TestReceivesThatKeepFailingStallTheConsumerUntilOneSucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		c, stop := runStalling(t, q)
		defer stop()
		q.fail(&q.receiveErr, errSQS500)
		time.Sleep(time.Second + c.cfg.stallAfter()/2) // the polls end, then half the period of failures
		synctest.Wait()
		if err := c.Stalled(); err != nil {
			t.Errorf("Stalled() = %v half a period into failing receives; want nil yet", err)
		}
		time.Sleep(c.cfg.stallAfter())
		synctest.Wait()
		err := c.Stalled()
		if err == nil || !strings.Contains(err.Error(), "ReceiveMessage failing for") || !errors.Is(err, errSQS500) {
			t.Errorf("Stalled() = %v after receives failed past stallAfter (%v); want ReceiveMessage failing, with its error", err, c.cfg.stallAfter())
		}
		q.fail(&q.receiveErr, nil)
		// Every loop's backoff ends, and its next receive succeeds once its poll of the empty queue does.
		time.Sleep(c.cfg.Retry.Max + c.cfg.LongPoll + time.Millisecond)
		synctest.Wait()
		if err := c.Stalled(); err != nil {
			t.Errorf("Stalled() = %v once a receive succeeded; want nil", err)
		}
	})
}

// Deletes that keep failing leave every stored result unacknowledged, for the queue to
// redeliver: the replica reports it by the same rule, each message counts on
// orchestrator_acknowledge_failures_total, and one delete that works makes it ready again.
func TestDeletesThatKeepFailingAreCountedAndStallTheConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		c := newConsumer(t, q, succeed)
		q.fail(&q.deleteErr, errors.New("api error AccessDenied: not authorized to perform sqs:DeleteMessageBatch"))
		c.handle(context.Background(), []types.Message{valid("a"), valid("b")})
		if got := c.cfg.Metrics.DeleteFailures.Load(); got != 2 {
			t.Errorf("DeleteFailures = %d after a delete of two messages failed; want 2", got)
		}
		time.Sleep(2 * c.cfg.stallAfter()) // an idle queue: no delete for a while
		if err := c.Stalled(); err != nil {
			t.Errorf("Stalled() = %v after one failed delete and silence; want nil", err)
		}
		c.handle(context.Background(), []types.Message{valid("c")}) // still failing, past the period
		err := c.Stalled()
		if err == nil || !strings.Contains(err.Error(), ops.CallDeleteMessageBatch+" failing for") {
			t.Errorf("Stalled() = %v after deletes failed past stallAfter; want %s failing", err, ops.CallDeleteMessageBatch)
		}
		q.fail(&q.deleteErr, nil)
		c.handle(context.Background(), []types.Message{valid("d")})
		if err := c.Stalled(); err != nil {
			t.Errorf("Stalled() = %v once a delete succeeded; want nil", err)
		}
		if got := c.cfg.Metrics.DeleteFailures.Load(); got != 3 {
			t.Errorf("DeleteFailures = %d; want 3, one per message left undeleted", got)
		}
	})
}

// A delete entry the sender is blamed for (a stale receipt handle) is not retried, but its
// message is still left undeleted and redelivered: it counts too.
func TestAFailedDeleteEntryCounts(t *testing.T) {
	q := &fakeSQS{deleteFaults: map[string]bool{"b": true}}
	c := newConsumer(t, q, succeed)
	c.handle(context.Background(), []types.Message{valid("a"), valid("b")})
	if got := c.cfg.Metrics.DeleteFailures.Load(); got != 1 {
		t.Errorf("DeleteFailures = %d after b's entry failed; want 1", got)
	}
}

// A visibility change that fails (a release here; a heartbeat's extension alike) counts each
// of its messages, and calls that keep failing stall the consumer, named.
func TestFailedVisibilityChangesAreCountedAndStallTheConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		c := newConsumer(t, q, succeed)
		q.fail(&q.visibilityErr, errSQS500)
		c.release([]types.Message{valid("a"), valid("b")})
		if got := c.cfg.Metrics.VisibilityFailures.Load(); got != 2 {
			t.Errorf("VisibilityFailures = %d after a release of two messages failed; want 2", got)
		}
		time.Sleep(2 * c.cfg.stallAfter())
		c.release([]types.Message{valid("c")})
		err := c.Stalled()
		if err == nil || !strings.Contains(err.Error(), ops.CallChangeMessageVisibilityBatch+" failing for") {
			t.Errorf("Stalled() = %v after visibility changes failed past stallAfter; want %s failing", err, ops.CallChangeMessageVisibilityBatch)
		}
		if got := c.cfg.Metrics.DeleteFailures.Load(); got != 0 {
			t.Errorf("DeleteFailures = %d; want 0, no delete failed", got)
		}
	})
}
