package kinesisconsumer

import (
	"errors"
	"time"

	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
)

// Readiness after the join follows pipeline.Stalls' rule: a replica is unready once any
// dependency it needs to make progress has kept failing for longer than stallAfter, and ready
// again as soon as a call to it succeeds. The dependencies are the lease table (its listing and
// takes, each lease's renewals and checkpoints), the stream (the shard listing, each shard's reads) and the
// dead-letter table; the worker and the results sink are checked beside these, by the ops
// handler. Throttling is left out: the stream's read limit is shared by all its consumers, and
// taking one out of readiness frees none of it.
//
// A replica that holds no lease because the others hold every shard (more replicas than
// shards, or one surging in a rollout before the old one releases its leases) reads the table
// fine and stays ready: it is a standby that takes shards over the moment one is free, and a
// rollout must not wait on it. One that holds none because the table cannot be read is unready:
// it can make no progress, and a rollout should not count it as available.

// stallAfter is how long a dependency keeps failing before readiness reports it: one
// renewal interval. A blip that the next round's retry clears never reaches /readyz, and a
// lease table that is down shows well before the replica's leases run out (a lease duration).
func stallAfter(lease time.Duration) time.Duration { return renewInterval(lease) }

// The dependencies failing tells apart.
const (
	renewing      = "renewing lease"
	checkpointing = "checkpointing lease"
	reading       = "reading shard"
	deadLettering = "dead-lettering a record of shard"
	listingLeases = "reading the lease table"
	listingShards = "listing the stream's shards"
)

// Stalled returns, for readiness, why this replica cannot make progress though it has joined
// the stream's leases, or nil: a dependency it needs has failed for longer than stallAfter (see
// above).
func (c *Consumer) Stalled() error { return c.failing.Longest(stallAfter(c.cfg.LeaseDuration)) }

// noteWrite records how a renewal, checkpoint or read (what) of key's lease ended, for Stalled.
// A lost lease is no failure: it is simply no longer ours.
func (c *Consumer) noteWrite(key, what string, err error) {
	if errors.Is(err, ErrLeaseLost) {
		err = nil
	}
	c.failing.Note(pipeline.Dependency{What: what, Of: key}, err)
}

// forget drops key's lease from Stalled: it is no longer ours, or to be tried afresh. Its dead
// letters stay: the shard stays paused on them.
func (c *Consumer) forget(key string) {
	for _, what := range []string{renewing, checkpointing, reading} {
		c.failing.Note(pipeline.Dependency{What: what, Of: key}, nil)
	}
}

// forgetAfterRenewal drops an ended lease from Stalled once its renewal in flight, if any, has
// ended: one that failed after the drop would record a failure that no later renewal clears,
// as the lease is no longer renewed, and hold readiness down for good.
func (co *coordinator) forgetAfterRenewal(h *held, key string) {
	co.calls.Go(func() {
		h.renewals.Wait()
		co.forget(key)
	})
}
