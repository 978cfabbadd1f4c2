package kinesisconsumer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// renew bumps the counter of every lease held, each in its own goroutine so that one slow
// write cannot hold up the others or the loop; a lease whose last renewal is still in flight
// (until its deadline) is skipped this round. Each success extends the lease's proof, and one
// found taken stops its reader. A renewal that fails otherwise leaves the proof to run out:
// the reader stops then, unless a later renewal lands first.
func (co *coordinator) renew() {
	for key, h := range co.held {
		if !h.renewing.CompareAndSwap(false, true) {
			continue
		}
		h.renewals.Add(1)
		co.calls.Go(func() {
			defer h.renewals.Done()
			defer h.renewing.Store(false)
			co.renewOne(key, h)
		})
	}
}

func (co *coordinator) renewOne(key string, h *held) {
	l := h.get()
	ctx, cancel := co.call(co.tidy)
	start := time.Now()
	counter, err := co.leases.Renew(ctx, l, co.cfg.Owner)
	cancel()
	switch {
	case err == nil:
		h.proof.extend(start, co.proven())
	case errors.Is(err, ErrLeaseLost):
		// A failed condition is no proof of a takeover: a renewal of ours whose answer was lost
		// (the last round's, timed out, or this one's first try, which the SDK re-sent after a
		// dropped connection) may have landed and moved the counter on under us, and the lease
		// is ours still. Only the table can tell: if it names us, take up its counter and renew
		// again at once, as the proof still dates from the renewal before the lost answer, and
		// would run out before the next round (a third of a lease later) stopped the reader for
		// nothing. A table that cannot be read settles nothing either: the renewal counts as
		// failed without an answer, and the proof runs out unless a later one lands.
		cur, readErr := co.readLease(co.tidy, key)
		switch {
		case readErr != nil:
			err = fmt.Errorf("renewal refused (%v) and the lease unreadable: %w", err, readErr)
		case cur.Owner == co.cfg.Owner:
			h.setCounter(cur.Counter)
			l.Counter = cur.Counter
			ctx, cancel := co.call(co.tidy)
			start = time.Now()
			counter, err = co.leases.Renew(ctx, l, co.cfg.Owner)
			cancel()
			if err == nil {
				h.proof.extend(start, co.proven())
			}
		}
	}
	h.renewed(counter, err)
	co.noteWrite(key, renewing, err)
	switch {
	case errors.Is(err, ErrLeaseLost) && h.lost.Swap(true):
		// Reported already: another renewal of this lease, in flight beside this one, saw it go.
	case errors.Is(err, ErrLeaseLost) && h.proof.holds():
		// Taken while our renewals were landing: another replica sees a lease expire only after
		// its counter stood still for a lease duration, which outlasts the proof (proof.go), so
		// this was the balancing rule handing the lease over to even out the shares.
		co.cfg.Metrics.LeasesRebalanced.Add(1)
		co.cfg.Logger.Info("lease handed over to another replica to balance the shards", "lease_key", key, "shard_id", l.ShardID)
		h.lose()
	case errors.Is(err, ErrLeaseLost):
		co.cfg.Metrics.LeasesLost.Add(1)
		co.cfg.Logger.Warn("lease lost: taken over after our renewals stopped landing", "lease_key", key, "shard_id", l.ShardID, "proven_until", h.proof.deadline().UTC())
		h.lose()
	case err != nil:
		co.logFailure(co.tidy, co.cfg.Logger, err, false, "renewing a lease", "lease_key", key, "proven_for", time.Until(h.proof.deadline()).Round(time.Millisecond).String())
	}
}

// readLease reads key's lease back from the table, to settle what a conditional write whose
// answer was lost left there.
func (c *Consumer) readLease(ctx context.Context, key string) (Lease, error) {
	call, cancel := c.call(ctx)
	defer cancel()
	return c.leases.Get(call, key)
}

// proven is how long a take or renewal proves a lease ours, from the moment the call started.
func (co *coordinator) proven() time.Duration {
	return co.cfg.LeaseDuration - proofMargin(co.cfg.LeaseDuration)
}
