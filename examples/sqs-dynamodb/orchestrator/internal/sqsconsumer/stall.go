package sqsconsumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// Readiness, once the queue is found, follows pipeline.Stalls' rule, as the Kinesis consumer's
// does: a replica is unready once one of the queue calls it needs to make progress keeps failing
// for longer than stallAfter, and ready again as soon as one succeeds. One failed receive (a
// 500, a blip) is retried after a backoff and never reaches /readyz, so a hiccup SQS has for
// every replica at once takes none of them out. The calls are receives (nothing is consumed
// while they fail), deletes (every result is stored but none acknowledged: the queue
// redelivers it all) and visibility changes (messages in hand reappear to other consumers). The
// worker and the results sink are checked beside these, by the ops handler, and quickly.

// receiving names the receives for readiness; deletes and visibility changes are named by the
// call label of orchestrator_acknowledge_failures_total, so a reason and the metric agree.
const receiving = "ReceiveMessage"

// stallAfter is how long a queue call keeps failing before readiness reports it: one receive's
// whole bound (long poll and answer). A receive that fails is retried within Retry's backoff,
// well inside it, so only failures that outlast a whole receive count; one that hangs shows at
// its second timeout.
func (cfg Config) stallAfter() time.Duration { return cfg.receiveTimeout() }

// Stalled returns, for readiness, why this replica cannot make progress though running, or nil:
// a queue call it needs has kept failing for longer than stallAfter (see above).
func (c *Consumer) Stalled() error { return c.stalls.Longest(c.cfg.stallAfter()) }

// noteCall records how a queue call (ReceiveMessage, or an ops.Call*) ended, for Stalled. A
// call cancelled with ctx (handling ended, shutdown) is no failure of SQS's and not recorded.
func (c *Consumer) noteCall(ctx context.Context, call string, err error) {
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return
	}
	c.stalls.Note(pipeline.Dependency{What: call}, err)
}

// entriesFailed is the error a batch call's failed entry leaves, for Stalled.
func entriesFailed(code, detail string) error {
	return fmt.Errorf("an entry failed with %s: %s", code, detail)
}
