package sqsconsumer

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// answerInTransit is a queue whose first receive picks its messages, hiding and counting them
// as SQS does, the moment arrive is closed, and answers transit later: a stop that comes
// between cuts the receive off with the messages already taken from the queue.
type answerInTransit struct {
	*fakeSQS
	polling chan struct{} // closed once the first receive is waiting
	arrive  chan struct{} // closed by the test: messages reach the queue
	first   bool
}

const transit = 50 * time.Millisecond

func (q *answerInTransit) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if q.first {
		return q.fakeSQS.ReceiveMessage(ctx, in, opts...)
	}
	q.first = true
	close(q.polling)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-q.arrive:
	}
	out, err := q.fakeSQS.ReceiveMessage(ctx, in, opts...) // picks them, as SQS does
	select {
	case <-ctx.Done():
		return nil, ctx.Err() // the answer never reaches the consumer
	case <-time.After(transit):
		return out, err
	}
}

// A receive whose answer is on the way when the stop comes must still get it, so its messages
// are handled and deleted, not left hidden for a visibility timeout with a receive spent.
func TestAReceiveAnsweredAsTheStopComesIsHandled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &answerInTransit{fakeSQS: &fakeSQS{pending: []types.Message{valid("a")}}, polling: make(chan struct{}), arrive: make(chan struct{})}
		c := New(q, handlerFunc(succeed), Config{
			QueueName: "requests", Concurrency: 1, ShutdownTimeout: 10 * time.Second, TidyGrace: 3 * time.Second,
			Retry:   pipeline.Retry{Sleep: func(context.Context, time.Duration) error { return nil }},
			Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler),
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		<-q.polling
		close(q.arrive)
		synctest.Wait() // SQS has picked the message; its answer is in transit
		cancel()
		start := time.Now()
		if err := <-done; err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
		if deleted, _, _ := q.snapshot(); !slices.Equal(deleted, []string{"a"}) {
			t.Errorf("deleted %v, want [a]: the message was received and then dropped", deleted)
		}
		if took := time.Since(start); took > receiveGrace {
			t.Errorf("stop took %v, want no more than receiveGrace %v", took, receiveGrace)
		}
	})
}

// An idle long poll in flight at the stop is cut after receiveGrace, not waited out.
func TestAnIdleLongPollIsCutAfterTheGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newConsumer(t, &fakeSQS{}, succeed)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		time.Sleep(time.Second)
		cancel()
		start := time.Now()
		if err := <-done; err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
		if took := time.Since(start); took != receiveGrace {
			t.Errorf("stop took %v, want receiveGrace %v", took, receiveGrace)
		}
	})
}
