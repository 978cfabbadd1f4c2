package sqsconsumer

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// loop receives and handles one batch at a time until ctx is done. Receiving only when there is
// a free handler means no message waits in a buffer with its visibility timeout running.
func (c *Consumer) loop(ctx, work context.Context) {
	for failures := 0; ctx.Err() == nil; {
		if !c.cfg.Ready() {
			_ = pipeline.Sleep(ctx, time.Second)
			continue
		}
		out, err := c.receiveMessages(ctx, work, failures > 0)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.noteCall(ctx, receiving, err)
			failures++
			c.logFailure(ctx, err, "receiving messages", "consecutive_failures", failures)
			_ = c.cfg.Retry.Wait(ctx, failures)
			continue
		}
		c.noteCall(ctx, receiving, nil)
		failures = 0
		// Even if the worker or the sink went down during the long poll: handle keeps the
		// messages hidden until it is back, where releasing them would spend a receive each.
		if len(out.Messages) > 0 {
			c.handle(work, out.Messages)
		}
	}
}

// logFailure logs a failed queue call (msg, with args and err) by workerclient.FailureLog's
// rule, as the loops that make one can fail on every turn: throttling is routine under load, so
// it is counted (orchestrator_throttled_calls_total) and logged at DEBUG; anything else is WARN,
// once a second at most across the consumer's loops (readiness reports a call that keeps failing).
func (c *Consumer) logFailure(ctx context.Context, err error, msg string, args ...any) {
	busy := awsenv.Throttled(err)
	if busy {
		c.cfg.Metrics.Throttled.Add(1)
	}
	c.cfg.Logger.Log(ctx, c.failures.Outcome(busy), msg, append(args, "error", err)...)
}

// receiveMessages long-polls for up to receiveMax messages, bounded by receiveTimeout. Once ctx
// is done the receive has receiveGrace left, not none: SQS hides and counts the messages it
// picks before its answer is on the way, so a receive cut off then would leave each hidden for
// a visibility timeout, a receive of its poison budget spent for nothing, at every scale-in.
// work, which outlives ctx until the shutdown timeout cuts it, bounds that grace too.
//
// recovering (the last receive failed) asks for no wait: on an idle queue a long poll answers
// only when its wait ends, so a replica that failures made unready (stall.go) would stay so for
// up to LongPoll after SQS is back. The short poll is the receive the loop makes anyway, so
// it costs one extra request per run of failures and loop, where a probe (GetQueueAttributes)
// would cost one per retry and prove less: that receiving works.
func (c *Consumer) receiveMessages(ctx, work context.Context, recovering bool) (*sqs.ReceiveMessageOutput, error) {
	wait := c.cfg.LongPoll
	if recovering {
		wait = 0
	}
	call, cancel := context.WithTimeout(work, c.cfg.receiveTimeout())
	defer cancel()
	defer context.AfterFunc(ctx, func() {
		timer := time.NewTimer(receiveGrace)
		defer timer.Stop()
		select {
		case <-timer.C:
			cancel()
		case <-call.Done():
		}
	})()
	return c.client.ReceiveMessage(call, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(c.queueURL),
		MaxNumberOfMessages: receiveMax,
		WaitTimeSeconds:     int32(wait / time.Second),
		VisibilityTimeout:   int32(c.cfg.VisibilityTimeout / time.Second),
		// Kept so that a message moved to the dead-letter queue keeps them.
		MessageAttributeNames: []string{"All"},
		// For orchestrator_message_age_seconds: how far consuming is behind.
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSentTimestamp},
	})
}
