package kinesisconsumer

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Readiness after the join has one rule: a replica is unready once any dependency it needs to
// make progress has failed without a break for longer than stallAfter, and ready again as soon
// as a call to it succeeds. The dependencies are the lease table (its listing and takes, each
// lease's renewals and checkpoints), the stream (the shard listing, each shard's reads) and the
// dead-letter table; the worker and the results sink are checked beside these, by the ops
// handler. Throttling is left out: the stream's read limit is shared by all its consumers, and
// taking one out of readiness frees none of it.
//
// A replica that holds no lease because the others hold every shard (more replicas than
// shards, or one surging in a rollout before the old one releases its leases) reads the table
// fine and stays ready: it is a standby that takes shards over the moment one is free, and a
// rollout must not wait on it. One that holds none because the table cannot be read is unready:
// it can make no progress, and a rollout should not count it as available.

// stallAfter is how long a dependency fails without a break before readiness reports it: one
// renewal interval. A blip that the next round's retry clears never reaches /readyz, and a
// lease table that is down shows well before the replica's leases run out (a lease duration).
func stallAfter(lease time.Duration) time.Duration { return renewInterval(lease) }

// write names a dependency failing holds: a lease's renewals or checkpoints, a shard's reads or
// dead letters, or (with no lease) the lease table's listing or the shard listing.
type write struct{ lease, what string }

// The dependencies failing tells apart.
const (
	renewing      = "renewing lease"
	checkpointing = "checkpointing lease"
	reading       = "reading shard"
	deadLettering = "dead-lettering a record of shard"
	listingLeases = "reading the lease table"
	listingShards = "listing the stream's shards"
)

// failures holds, per dependency, its current run of failures: when it began and the last
// error. One lock rather than a sync.Map, so that a run's start survives its next failure.
type failures struct {
	mu  sync.Mutex
	run map[write]failure
}

type failure struct {
	since time.Time
	err   error
}

// note records how a call to w ended: an error starts w's run of failures or extends it, nil
// ends it.
func (f *failures) note(w write, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.run, w)
		return
	}
	if f.run == nil {
		f.run = map[write]failure{}
	}
	since := time.Now()
	if old, ok := f.run[w]; ok {
		since = old.since
	}
	f.run[w] = failure{since: since, err: err}
}

// forget drops every dependency of key's lease: it is no longer ours, or to be tried afresh.
func (f *failures) forget(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for w := range f.run {
		if w.lease == key && w.what != deadLettering {
			delete(f.run, w)
		}
	}
}

// longest returns the dependency failing longest, if that is longer than after, or nil.
func (f *failures) longest(after time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var worst write
	var run failure
	for w, r := range f.run {
		if run.err == nil || r.since.Before(run.since) {
			worst, run = w, r
		}
	}
	if run.err == nil || time.Since(run.since) <= after {
		return nil
	}
	what := worst.what
	if worst.lease != "" {
		what += " " + worst.lease
	}
	return fmt.Errorf("%s failing for %v: %w", what, time.Since(run.since).Round(time.Millisecond), run.err)
}

// Stalled returns, for readiness, why this replica cannot make progress though it has joined
// the stream's leases, or nil: a dependency it needs has failed for longer than stallAfter (see
// above).
func (c *Consumer) Stalled() error { return c.failing.longest(stallAfter(c.cfg.LeaseDuration)) }

// noteWrite records how a renewal, checkpoint or read (what) of key's lease ended, for Stalled.
// A lost lease is no failure: it is simply no longer ours.
func (c *Consumer) noteWrite(key, what string, err error) {
	if errors.Is(err, ErrLeaseLost) {
		err = nil
	}
	c.failing.note(write{key, what}, err)
}

// forget drops key's lease from Stalled.
func (c *Consumer) forget(key string) { c.failing.forget(key) }

// forgetAfterRenewal drops an ended lease from Stalled once its renewal in flight, if any, has
// ended: one that failed after the drop would record a failure that no later renewal clears,
// as the lease is no longer renewed, and hold readiness down for good.
func (co *coordinator) forgetAfterRenewal(h *held, key string) {
	co.calls.Go(func() {
		h.renewals.Wait()
		co.forget(key)
	})
}
