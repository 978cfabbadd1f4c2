package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net"

	"example.com/sqs-dynamodb/orchestrator/internal/results"
)

// store puts entries in the sink, retrying transient failures with the entries not settled
// yet, and counts each entry as it settles: stored now (Metrics.Processed) or by an earlier
// delivery (Metrics.StoredBefore). conflicts maps the index of each entry whose id is stored
// for a different request to the sink's reason.
func (p *Processor) store(ctx context.Context, entries []results.Entry) (conflicts map[int]error, err error) {
	conflicts = map[int]error{}
	pending := make([]int, len(entries)) // the indexes in entries of those not settled yet
	for i := range pending {
		pending[i] = i
		entries[i].WriteID = p.writes.claim(entries[i].Request.GetId())
	}
	defer func() {
		for _, i := range pending {
			p.writes.keep(entries[i].Request.GetId(), entries[i].WriteID)
		}
	}()
	err = p.Retry.Do(ctx, func(ctx context.Context) error {
		batch := make([]results.Entry, len(pending))
		for k, i := range pending {
			batch[k] = entries[i]
		}
		got, putErr := p.Sink.Put(ctx, batch)
		settled := make([]bool, len(batch))
		for _, k := range got.Stored {
			settled[k] = true
		}
		for _, k := range got.StoredBefore {
			settled[k] = true
		}
		for k, reason := range got.Conflicts {
			settled[k] = true
			conflicts[pending[k]] = reason
		}
		p.Metrics.Processed.Add(int64(len(got.Stored)))
		p.Metrics.StoredBefore.Add(int64(len(got.StoredBefore)))
		var rest []int
		for k, i := range pending {
			if !settled[k] {
				rest = append(rest, i)
			}
		}
		pending = rest
		if putErr == nil && len(pending) > 0 {
			return fmt.Errorf("the sink settled %d of %d results without an error", len(batch)-len(pending), len(batch))
		}
		return putErr
	}, func(attempt int, err error) {
		if timedOut(err) {
			// The sink left a whole call unanswered, as long as its calls are bounded (for
			// DynamoDB, awsenv.Bounded's bound): readiness says so now, not after the rest of
			// the retries, each as long. A sink that answers, if with a throttle or a 5xx, is
			// reachable, and its retries run their course first.
			p.SinkHealth.Failed(err)
		}
		p.retried(ctx, "store")(attempt, err)
	})
	return conflicts, err
}

// timedOut reports whether err is a call that ran out of time: its deadline, or its HTTP
// client's timeout.
func timedOut(err error) bool {
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout()
}
