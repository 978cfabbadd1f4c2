package sqsconsumer

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

const redrive = `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:requests-dlq","maxReceiveCount":"5"}`

// handlerFunc adapts a func to Handler.
type handlerFunc func(ctx context.Context, reqs []*scoringv1.ScoreRequest) (map[int]error, error)

func (h handlerFunc) Handle(ctx context.Context, reqs []*scoringv1.ScoreRequest) (map[int]error, error) {
	return h(ctx, reqs)
}

func succeed(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) { return nil, nil }

func newConsumer(t *testing.T, q *fakeSQS, h handlerFunc) *Consumer {
	t.Helper()
	return newConsumerOf(t, q, h)
}

// newConsumerOf is newConsumer for any Handler, a *pipeline.Processor with its canary included.
func newConsumerOf(t *testing.T, q *fakeSQS, h Handler) *Consumer {
	t.Helper()
	c := New(q, h, Config{
		QueueName:         "requests",
		Concurrency:       1,
		VisibilityTimeout: 30 * time.Second,
		ShutdownTimeout:   10 * time.Second,
		TidyGrace:         3 * time.Second,
		Retry:             pipeline.Retry{Sleep: func(context.Context, time.Duration) error { return nil }},
		Metrics:           &ops.Metrics{},
		Logger:            slog.New(slog.DiscardHandler),
	})
	if err := c.resolve(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func valid(id string) types.Message { return message(id, `{"id":"`+id+`"}`) }

func TestDeletesOnlyAfterTheResultIsStored(t *testing.T) {
	q := &fakeSQS{}
	var deletedDuringHandling []string
	c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
		deletedDuringHandling, _, _ = q.snapshot()
		return nil, nil
	})
	c.handle(context.Background(), []types.Message{valid("a"), valid("b")})
	deleted, _, _ := q.snapshot()
	if len(deletedDuringHandling) != 0 || !slices.Equal(deleted, []string{"a", "b"}) {
		t.Errorf("deleted %v while handling and %v after, want none and [a b]", deletedDuringHandling, deleted)
	}
}

func TestLeavesMessagesWhoseHandlingFailed(t *testing.T) {
	q := &fakeSQS{}
	c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
		return nil, errors.New("table not found")
	})
	c.handle(context.Background(), []types.Message{valid("a"), valid("b")})
	deleted, visibility, _ := q.snapshot()
	// Neither deleted nor released: the visibility timeout paces the redelivery, and the
	// redrive policy counts it towards the dead-letter queue.
	if len(deleted) != 0 || len(visibility) != 0 {
		t.Errorf("deleted %v, visibility changes %v; want neither", deleted, visibility)
	}
}

func TestRetriesDeleteEntriesThatFailedOnTheServersSide(t *testing.T) {
	q := &fakeSQS{deleteFaults: map[string]bool{"b": false, "c": true}}
	c := newConsumer(t, q, succeed)
	c.handle(context.Background(), []types.Message{valid("a"), valid("b"), valid("c")})
	if len(q.deleteCalls) != 2 || !slices.Equal(q.deleteCalls[1], []string{"b"}) {
		t.Errorf("delete calls %v, want a second one for b only (c's failure was the sender's)", q.deleteCalls)
	}
	if deleted, _, _ := q.snapshot(); !slices.Equal(deleted, []string{"a", "b"}) {
		t.Errorf("deleted %v, want [a b]", deleted)
	}
}

func TestMovesPoisonToTheDeadLetterQueue(t *testing.T) {
	q := &fakeSQS{redrive: redrive}
	var handled []string
	c := newConsumer(t, q, func(_ context.Context, reqs []*scoringv1.ScoreRequest) (map[int]error, error) {
		for _, r := range reqs {
			handled = append(handled, r.GetId())
		}
		return nil, nil
	})
	c.handle(context.Background(), []types.Message{valid("a"), message("p", "not json"), message("q", `{"id":""}`)})
	deleted, _, deadLettered := q.snapshot()
	if !slices.Equal(handled, []string{"a"}) || deadLettered != 2 || len(deleted) != 3 {
		t.Errorf("handled %v, dead-lettered %d, deleted %v; want [a], 2, all three", handled, deadLettered, deleted)
	}
	sent := q.deadLettered[0]
	if aws.ToString(sent.MessageBody) != "not json" || aws.ToString(sent.MessageAttributes["poison_reason"].StringValue) == "" {
		t.Errorf("dead-lettered %q with attributes %v, want the body and a reason", aws.ToString(sent.MessageBody), sent.MessageAttributes)
	}
	if got := c.cfg.Metrics.DeadLettered.Load(); got != 2 {
		t.Errorf("dead_lettered = %d, want 2", got)
	}
}

func TestDeadLettersRequestsTheWorkerRejects(t *testing.T) {
	q := &fakeSQS{redrive: redrive}
	// The worker rejects b whenever it is asked, alone too, and scores a meanwhile.
	c := newConsumer(t, q, func(_ context.Context, reqs []*scoringv1.ScoreRequest) (map[int]error, error) {
		rejected := map[int]error{}
		for i, r := range reqs {
			if r.GetId() == "b" {
				rejected[i] = errors.New("rejected")
			}
		}
		return rejected, nil
	})
	c.handle(context.Background(), []types.Message{valid("a"), valid("b")})
	if deleted, _, deadLettered := q.snapshot(); deadLettered != 1 || len(deleted) != 2 {
		t.Errorf("dead-lettered %d, deleted %v; want 1 and both", deadLettered, deleted)
	}
}

func TestKeepsPoisonWithoutADeadLetterQueue(t *testing.T) {
	q := &fakeSQS{}
	c := newConsumer(t, q, succeed)
	c.handle(context.Background(), []types.Message{message("p", "not json")})
	// Deleting it would lose it; the queue's retention period is the only way out.
	if deleted, _, _ := q.snapshot(); len(deleted) != 0 {
		t.Errorf("deleted %v, want nothing", deleted)
	}
}

func TestHeartbeatExtendsVisibilityWhileWorkIsSlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
			time.Sleep(25 * time.Second)
			return nil, nil
		})
		c.handle(context.Background(), []types.Message{valid("a")})
		_, visibility, _ := q.snapshot()
		if !slices.Equal(visibility["a"], []int32{30, 30}) {
			t.Errorf("visibility set to %v, want extended to 30s at 10s and at 20s", visibility["a"])
		}
	})
}

func TestShutdownLetsInFlightWorkFinish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{pending: []types.Message{valid("a")}}
		c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
			time.Sleep(3 * time.Second)
			return nil, nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on a failure too, so Run ends with the bubble
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		time.Sleep(time.Second)
		cancel()
		start := time.Now()
		if err := <-done; err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
		if elapsed := time.Since(start); elapsed != 2*time.Second {
			t.Errorf("shutdown took %v, want the 2s the handler still needed", elapsed)
		}
		if deleted, _, _ := q.snapshot(); !slices.Equal(deleted, []string{"a"}) {
			t.Errorf("deleted %v, want [a]", deleted)
		}
	})
}

func TestShutdownReleasesWhatIsUnfinishedAtTheTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{pending: []types.Message{valid("a"), valid("b")}}
		c := newConsumer(t, q, func(ctx context.Context, _ []*scoringv1.ScoreRequest) (map[int]error, error) {
			<-ctx.Done() // A worker call that would take longer than the shutdown timeout.
			return nil, ctx.Err()
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on a failure too, so Run ends with the bubble
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		synctest.Wait()
		cancel()
		start := time.Now()
		if err := <-done; err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
		if elapsed := time.Since(start); elapsed != 10*time.Second {
			t.Errorf("shutdown took %v, want the 10s shutdown timeout", elapsed)
		}
		deleted, visibility, _ := q.snapshot()
		released := func(id string) bool { v := visibility[id]; return len(v) > 0 && v[len(v)-1] == 0 }
		if len(deleted) != 0 || !released("a") || !released("b") {
			t.Errorf("deleted %v, visibility %v; want none deleted and both released with 0", deleted, visibility)
		}
	})
}

func TestDoesNotReceiveWhileTheWorkerIsDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{pending: []types.Message{valid("a")}}
		c := newConsumer(t, q, succeed)
		var up atomic.Bool
		c.cfg.Ready = up.Load
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on a failure too, so Run ends with the bubble
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		q.mu.Lock()
		receives := q.receives
		q.mu.Unlock()
		if receives != 0 {
			t.Errorf("%d receives while the worker was down, want 0", receives)
		}
		up.Store(true)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if deleted, _, _ := q.snapshot(); !slices.Equal(deleted, []string{"a"}) {
			t.Errorf("deleted %v once the worker was up, want [a]", deleted)
		}
		cancel()
		<-done
	})
}

func TestResolveFindsTheDeadLetterQueueFromTheRedrivePolicy(t *testing.T) {
	c := newConsumer(t, &fakeSQS{redrive: redrive}, succeed)
	if c.queueURL != queueURL || c.dlqURL != dlqURL {
		t.Errorf("queue %q, dead-letter queue %q; want %q and %q", c.queueURL, c.dlqURL, queueURL, dlqURL)
	}
}
