package sqsconsumer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Every AWS call the consumer makes, and every call of the results sink beside it, is bounded,
// so an endpoint that accepts the connection and never answers fails calls (and shows on
// readiness) rather than hanging the loops, handlers, heartbeats and shutdown. The bounds all
// derive here from Config's LongPoll, which a receive must outlast, and AnswerTimeout, what
// any call may take on top of the waiting it asks for:
//
//   - a receive: LongPoll + AnswerTimeout (receiveTimeout), and receiveGrace once told to stop;
//   - finding the queues, deletes, releases, dead-letter copies: AnswerTimeout (answering),
//     each of resolve's calls and each attempt of a delete its own (answer), so a slow one
//     cannot starve the next;
//   - a heartbeat's extension: the visibility it has left, less a margin (heartbeat.go), so
//     it ends well inside the visibility timeout;
//   - each HTTP attempt: QueueAttemptTimeout for the queue's client, whose longest call is a
//     receive, and SinkAttemptTimeout for the results table's, whose calls
//     wait for nothing; the whole call within awsenv.CallTimeout of that (awsenv.Bounded).

// receiveGrace is how long a receive in flight when the consumer is told to stop may still
// take (receiveMessages): ample for an answer SQS has already sent, while an idle long poll,
// which would wait out LongPoll, is cut after it.
const receiveGrace = time.Second

// MaxLongPoll is SQS's longest receive wait: the consumer's default, and the queue's that bootstrap sets.
const MaxLongPoll = 20 * time.Second

// receiveTimeout bounds a receive: its long poll, then the answer.
func (cfg Config) receiveTimeout() time.Duration { return cfg.LongPoll + cfg.AnswerTimeout }

// answering returns ctx bounded by AnswerTimeout, for a call that waits for nothing.
func (c *Consumer) answering(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.AnswerTimeout)
}

// QueueAttemptTimeout bounds each HTTP attempt of the queue's calls: long enough for a receive.
func QueueAttemptTimeout(cfg Config) time.Duration { return cfg.withDefaults().receiveTimeout() }

// SinkAttemptTimeout bounds each HTTP attempt of the results table's calls, which wait for
// nothing, unlike the queue's receives.
func SinkAttemptTimeout(cfg Config) time.Duration { return cfg.withDefaults().AnswerTimeout }

// answer makes one call that waits for nothing, op naming it (its SQS operation and what it
// is for), under its own AnswerTimeout: a bound shared by several calls lets a slow one spend
// the next one's time, and the deadline then names a call that was not at fault.
func (c *Consumer) answer(ctx context.Context, op string, call func(context.Context) error) error {
	ctx, cancel := c.answering(ctx)
	defer cancel()
	err := call(ctx)
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: no answer within %v: %w", op, c.cfg.AnswerTimeout, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
