package sqsconsumer

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.opentelemetry.io/otel/trace"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// handle scores and stores one receive's messages, then deletes those that are done.
//
// A message's receive count is its poison budget: the redrive policy dead-letters it after
// maxReceiveCount receives, so only a failure the message itself causes may spend one. Hence
// the heartbeat keeps the messages hidden for as long as they are in hand, and a failure while
// the worker or the sink is down (Ready false) is retried here, in place, once it is back,
// rather than handing the messages back to be received, and counted, again; so is a batch the
// worker shed for load (RESOURCE_EXHAUSTED), after a backoff. A batch the worker refuses
// whole for what it carries, or crashes on, is split until the messages that fail on their own
// are found, and those dead-lettered, as long as the worker is seen to score others (process).
// What fails otherwise while all is up is left hidden until its visibility timeout runs out
// and is then redelivered.
func (c *Consumer) handle(ctx context.Context, msgs []types.Message) {
	stopHeartbeat := c.heartbeat(ctx, msgs, time.Now())
	h := &handling{msgs: msgs, got: c.receive(ctx, msgs)}
	var (
		reqs []*scoringv1.ScoreRequest
		from []int // reqs[i] came from msgs[from[i]]
	)
	for i, m := range msgs {
		req, err := pipeline.Decode([]byte(aws.ToString(m.Body)))
		if err != nil {
			c.setAside(h, i, err)
			continue
		}
		reqs = append(reqs, req)
		from = append(from, i)
	}
	var err error
	if len(reqs) > 0 {
		err = c.process(ctx, h, reqs, from)
	}
	stopHeartbeat()
	c.delete(h.done)
	h.got.finish(err)
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		// Shutting down: hand the rest to another consumer now rather than after the timeout.
		c.release(without(msgs, h.done))
		return
	}
	c.cfg.Logger.WarnContext(ctx, "handling failed; the messages will be redelivered", "messages", len(msgs)-len(h.done), "error", err)
}

// handling is one receive's messages while they are handled.
type handling struct {
	msgs []types.Message
	got  *receipt
	done []types.Message // safe to delete: stored, or copied to the dead-letter queue
}

// setAside dead-letters msgs[i], poison for reason, and marks it done if that worked.
func (c *Consumer) setAside(h *handling, i int, reason error) (done bool) {
	if !c.deadLetter(h.got.ctxs[i], h.msgs[i], reason) {
		return false
	}
	h.done = append(h.done, h.msgs[i])
	h.got.outcomes[i] = outcomeDeadLettered
	return true
}

// awaitReady returns once Ready is true, polling with a bounded backoff, or ctx's error.
func (c *Consumer) awaitReady(ctx context.Context) error {
	for wait := 100 * time.Millisecond; !c.cfg.Ready(); wait = min(2*wait, 2*time.Second) {
		if err := pipeline.Sleep(ctx, wait); err != nil {
			return err
		}
	}
	return nil
}

// release makes msgs visible again at once.
func (c *Consumer) release(msgs []types.Message) {
	tidy, cancel := c.tidying()
	defer cancel()
	// A failure is counted and logged there; the messages reappear when their timeout runs out.
	_ = c.changeVisibility(tidy, msgs, 0, false)
}

// deadLetter copies a poison message to the dead-letter queue, with the reason as an attribute,
// and reports whether it may be deleted. Leaving it to the redrive policy instead would cost
// maxReceiveCount pointless receives, each a visibility timeout apart, and lose the reason.
func (c *Consumer) deadLetter(ctx context.Context, m types.Message, reason error) bool {
	log := c.cfg.Logger.With("message_id", aws.ToString(m.MessageId), "reason", reason.Error())
	if c.dlqURL == "" {
		log.ErrorContext(ctx, "poison message left on the queue: it has no dead-letter queue")
		return false
	}
	attrs := make(map[string]types.MessageAttributeValue, len(m.MessageAttributes)+2)
	for k, v := range m.MessageAttributes {
		attrs[k] = types.MessageAttributeValue{DataType: v.DataType, StringValue: v.StringValue, BinaryValue: v.BinaryValue}
	}
	// SQS allows ten attributes: the message's own come first, the diagnosis if there is room.
	names := []string{"poison_reason", "source_message_id"}
	values := []string{attributeText(reason.Error()), aws.ToString(m.MessageId)}
	for i, name := range names {
		if len(attrs) < 10 {
			attrs[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(values[i])}
		}
	}
	tidy, cancel := c.tidying()
	defer cancel()
	// The send is a span of the message's trace, while its deadline stays the tidying one.
	tidy = trace.ContextWithSpan(tidy, trace.SpanFromContext(ctx))
	_, err := c.client.SendMessage(tidy, &sqs.SendMessageInput{QueueUrl: aws.String(c.dlqURL), MessageBody: m.Body, MessageAttributes: attrs})
	if err != nil {
		// It comes back after the visibility timeout, and the redrive policy catches it at the latest.
		log.ErrorContext(ctx, "poison message could not be dead-lettered", "error", err)
		return false
	}
	// A client's fault, counted in orchestrator_messages_dead_lettered_total and kept with
	// its reason in the dead-letter queue: DEBUG, by workerclient.FailureLog's rule.
	log.DebugContext(ctx, "poison message moved to the dead-letter queue")
	c.cfg.Metrics.DeadLettered.Add(1)
	return true
}

// delete acknowledges msgs. An entry that fails is retried when SQS takes the blame; a sender
// fault, most often a receipt handle gone stale because the visibility timeout ran out, will
// not change, and the message simply comes back: its stored result makes that redelivery a no-op.
// Every message left undeleted counts in orchestrator_acknowledge_failures_total, and deletes
// that keep failing show on readiness (stall.go): the queue would redeliver everything.
func (c *Consumer) delete(msgs []types.Message) {
	if len(msgs) == 0 {
		return // no call, so nothing for readiness to learn
	}
	// Even past the shutdown deadline: these results are stored, and redelivering them is waste.
	// Each attempt has its own AnswerTimeout (answer), the whole only the tidying bound: under
	// one AnswerTimeout a first attempt that never answers would leave the retries no time.
	ctx := c.tidy
	const attempts = 3
	var failed error // why the last message left undeleted was, or nil
	defer func() { c.noteCall(ctx, ops.CallDeleteMessageBatch, failed) }()
	for attempt := 1; ; attempt++ {
		entries := make([]types.DeleteMessageBatchRequestEntry, len(msgs))
		for i, m := range msgs {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		var out *sqs.DeleteMessageBatchOutput
		err := c.answer(ctx, "DeleteMessageBatch (acknowledging handled messages)", func(ctx context.Context) (err error) {
			out, err = c.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.queueURL), Entries: entries})
			return err
		})
		var again []types.Message
		switch {
		case err != nil && pipeline.Transient(err) && attempt < attempts:
			again = msgs
		case err != nil:
			failed = err
			c.cfg.Metrics.DeleteFailures.Add(int64(len(msgs)))
			c.logFailure(ctx, err, "messages not deleted; they will be redelivered", "messages", len(msgs))
		default:
			for _, f := range out.Failed {
				i, convErr := strconv.Atoi(aws.ToString(f.Id))
				if convErr != nil || i < 0 || i >= len(msgs) {
					continue
				}
				if f.SenderFault || attempt == attempts {
					failed = entriesFailed(aws.ToString(f.Code), aws.ToString(f.Message))
					c.cfg.Metrics.DeleteFailures.Add(1)
					c.cfg.Logger.Log(ctx, c.failures.Unexpected(), "message not deleted; it will be redelivered", "message_id", aws.ToString(msgs[i].MessageId), "code", aws.ToString(f.Code), "detail", aws.ToString(f.Message))
					continue
				}
				again = append(again, msgs[i])
			}
		}
		if len(again) == 0 {
			return
		}
		if c.cfg.Retry.Wait(ctx, attempt) != nil {
			failed = ctx.Err()
			c.cfg.Metrics.DeleteFailures.Add(int64(len(again)))
			return
		}
		msgs = again
	}
}

// changeVisibility sets msgs' visibility timeout: 0 releases them to other consumers at once.
// It returns nil once every message's visibility is set, or its handle has gone stale (deleted
// or redelivered meanwhile: nothing left to set), and otherwise why not: the call failed, or
// SQS failed an entry of its own fault, which leaves that message's old timeout running. The
// messages it fails for count in orchestrator_acknowledge_failures_total, and calls that keep
// failing show on readiness (stall.go): the messages in hand reappear to other consumers.
// retry marks a retry of a call whose failure is already counted (the heartbeat's, which
// retries within the period): its failure is logged but not counted again, so the metric
// counts messages, not tries, and one failure is not taken for a run of them on readiness.
func (c *Consumer) changeVisibility(ctx context.Context, msgs []types.Message, d time.Duration, retry bool) error {
	if len(msgs) == 0 {
		return nil
	}
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(d / time.Second)}
	}
	out, err := c.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(c.queueURL), Entries: entries})
	if err != nil {
		if !retry {
			if !errors.Is(ctx.Err(), context.Canceled) { // not cut short by handling's end or shutdown
				c.cfg.Metrics.VisibilityFailures.Add(int64(len(msgs)))
			}
			c.noteCall(ctx, ops.CallChangeMessageVisibilityBatch, err)
		}
		c.logFailure(ctx, err, "changing message visibility", "messages", len(msgs), "timeout", d.String())
		return err
	}
	var failed error
	for _, f := range out.Failed {
		// A message deleted or redelivered meanwhile has a stale handle (the sender's fault):
		// nothing to extend or release. Any other failure is SQS's, and the message may reappear.
		if f.SenderFault {
			c.cfg.Logger.Debug("changing message visibility", "code", aws.ToString(f.Code), "detail", aws.ToString(f.Message))
			continue
		}
		failed = entriesFailed(aws.ToString(f.Code), aws.ToString(f.Message))
		if !retry {
			c.cfg.Metrics.VisibilityFailures.Add(1)
		}
		c.cfg.Logger.Log(ctx, c.failures.Unexpected(), "changing message visibility", "code", aws.ToString(f.Code), "detail", aws.ToString(f.Message))
	}
	if failed == nil || !retry {
		c.noteCall(ctx, ops.CallChangeMessageVisibilityBatch, failed)
	}
	return failed
}

// tidying returns a context for a call that tidies up after handling. It outlives the work
// context, whose cancellation it must not share, but not the shutdown's grace period.
func (c *Consumer) tidying() (context.Context, context.CancelFunc) {
	return c.answering(c.tidy)
}

// without returns msgs less those in done. A message is known by its receipt handle, as
// deletes and visibility changes know it, not by its MessageId: delivery is at least once, so
// one receive can hold two copies of a message, each with its own handle and its own fate.
func without(msgs, done []types.Message) []types.Message {
	gone := make(map[string]bool, len(done))
	for _, m := range done {
		gone[aws.ToString(m.ReceiptHandle)] = true
	}
	var rest []types.Message
	for _, m := range msgs {
		if !gone[aws.ToString(m.ReceiptHandle)] {
			rest = append(rest, m)
		}
	}
	return rest
}

// attributeText makes s a valid, short string attribute: SQS rejects control characters, and
// the reason needs no more than a line or two.
func attributeText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if len(s) > 1000 {
		s = strings.ToValidUTF8(s[:1000], "") + "…"
	}
	return s
}
