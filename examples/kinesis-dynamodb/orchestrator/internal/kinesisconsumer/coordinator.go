package kinesisconsumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
)

// coordinator is Run's state: the leases held and the readers of their shards.
type coordinator struct {
	*Consumer
	leases Leases
	work   context.Context // outlives Run's context, so batches in hand finish on SIGTERM
	// tidy bounds the lease table's calls (renewals, releases): they outlive the work's cut at
	// the shutdown timeout, so leases are still released, but only by TidyGrace.
	tidy    context.Context
	held    map[string]*held
	readers sync.WaitGroup
	// calls are the renewals and releases in flight: run beside the loop, so that a call that
	// hangs (until its deadline) holds up only its own lease, never the loop's rounds, its
	// other leases or the shutdown; Run waits for them before returning.
	calls   sync.WaitGroup
	ended   chan ended
	expiry  expiry
	coolOff map[string]time.Time // leases released after failures, not to be taken again before
}

// Run takes part in the stream's leases until ctx is done: every third of a lease duration it
// renews the leases it holds, and takes free, expired or (one at a time) surplus ones up to its
// share. Then it lets each reader finish and checkpoint the batch in hand within
// ShutdownTimeout, still renewing, and releases its leases for the other replicas. It returns
// an error only when the stream was created again while it ran (errStreamCreatedAgain), having
// stopped as for a shutdown.
func (c *Consumer) Run(ctx context.Context) error {
	epoch, err := c.streamEpoch(ctx)
	if err != nil {
		return nil // ctx is done
	}
	ctx, leave := context.WithCancelCause(ctx)
	defer leave(nil)
	shutdown := pipeline.NewShutdown(ctx, c.cfg.TidyGrace)
	defer shutdown.Close()
	c.cfg.Logger.Info("taking part in the stream's leases", "stream", c.cfg.StreamName, "stream_created", time.Unix(epoch, 0).UTC(), "lease_duration", c.cfg.LeaseDuration.String())
	c.leases = c.leasesFor(epoch)
	co := &coordinator{
		Consumer: c, leases: c.leases, work: shutdown.Work, tidy: shutdown.Tidy, held: map[string]*held{},
		ended: make(chan ended), expiry: expiry{duration: c.cfg.LeaseDuration}, coolOff: map[string]time.Time{},
	}
	tick := renewInterval(c.cfg.LeaseDuration)
	var lastSync time.Time
	for failures := 0; ; {
		co.renew()
		wait := tick
		if time.Since(lastSync) >= c.cfg.ShardSyncInterval {
			err := c.syncShards(ctx, co.leases)
			c.failing.Note(pipeline.Dependency{What: listingShards}, err)
			co.leaveIfCreatedAgain(ctx, err, leave)
			if err != nil {
				c.logFailure(ctx, c.cfg.Logger, err, false, "looking for shards")
			} else {
				lastSync = time.Now()
			}
		}
		// Once joined, a table that cannot be read is a stall like any other: the leases run
		// out, and none are taken, while it lasts (stall.go).
		err := co.balance(ctx)
		c.failing.Note(pipeline.Dependency{What: listingLeases}, err)
		co.leaveIfCreatedAgain(ctx, err, leave)
		if err != nil {
			failures++
			wait = min(tick, c.cfg.Retry.Delay(failures))
			c.logFailure(ctx, c.cfg.Logger, err, false, "reading the lease table", "consecutive_failures", failures)
			if !c.running.Load() {
				c.wait(fmt.Errorf("reading the lease table: %w", err))
			}
		} else {
			failures = 0
			c.running.Store(true)
			c.wait(nil)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			c.running.Store(false)
			co.drain(shutdown.Cut)
			co.calls.Wait() // each bounded by CallTimeout, and by Tidy
			if cause := context.Cause(ctx); errors.Is(cause, errStreamCreatedAgain) {
				return cause
			}
			return nil
		case e := <-co.ended:
			timer.Stop()
			if how := co.end(e); how == finished || how == gone {
				// Its children may be leased now, or the listing tells whether it aged out.
				lastSync = time.Time{}
			}
		case <-timer.C:
		}
	}
}

// leaveIfCreatedAgain stops the replica as for a shutdown when err says the stream was created
// again since it joined: a restart joins the new one, where staying would fight its replicas.
func (co *coordinator) leaveIfCreatedAgain(ctx context.Context, err error, leave context.CancelCauseFunc) {
	if errors.Is(err, errStreamCreatedAgain) && ctx.Err() == nil {
		co.cfg.Logger.Error("the stream was created again since this replica joined it; it stops, for a restart to join the new one", "stream", co.cfg.StreamName, "error", err)
		leave(err)
	}
}

// balance lists the leases and takes those plan picks.
func (co *coordinator) balance(ctx context.Context) error {
	all, err := co.leases.List(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	expired := co.expiry.update(all, now)
	skip := map[string]bool{}
	for key, until := range co.coolOff {
		if now.Before(until) {
			skip[key] = true
		} else {
			delete(co.coolOff, key)
			co.forget(key) // to be tried again: its failures are history now
		}
	}
	for key := range co.held {
		skip[key] = true // its reader has not ended yet
	}
	for _, l := range plan(all, co.cfg.Owner, expired, skip) {
		from := l.Owner
		start := time.Now()
		call, cancel := co.call(ctx)
		taken, err := co.leases.Take(call, l, co.cfg.Owner)
		cancel()
		if errors.Is(err, ErrLeaseLost) {
			continue // another replica was faster
		}
		if err != nil {
			return err
		}
		co.cfg.Metrics.LeasesTaken.Add(1)
		co.cfg.Logger.Info("lease taken", "lease_key", l.Key, "shard_id", l.ShardID, "from_owner", from, "expired", expired[l.Key], "checkpoint", taken.Checkpoint, "lease_counter", taken.Counter)
		co.start(ctx, taken, start)
	}
	return nil
}

// start reads a newly taken lease's shard, proven ours from takenAt, when the take started. The
// reader stops reading when ctx is done or the lease is lost, and its batch in hand is cut off
// only if the lease is lost.
func (co *coordinator) start(ctx context.Context, l Lease, takenAt time.Time) {
	leaseWork, lose := context.WithCancel(co.work)
	reading, stop := context.WithCancel(leaseWork)
	unhook := context.AfterFunc(ctx, stop)
	h := &held{lease: l, lose: lose}
	h.proof.extend(takenAt, co.proven())
	co.held[l.Key] = h
	co.readers.Go(func() {
		defer stop()
		defer unhook()
		how := co.readShard(reading, leaseWork, h)
		// Run waits for every reader to end before it returns, so this send always lands.
		co.ended <- ended{key: l.Key, how: how}
	})
}

// end forgets a lease whose reader ended, releasing it unless it was lost. The release runs
// beside the loop, after the lease's renewal in flight (whose counter it needs), so a table that
// does not answer holds up neither.
func (co *coordinator) end(e ended) outcome {
	h := co.held[e.key]
	delete(co.held, e.key)
	h.lose()
	l := h.get()
	switch e.how {
	case lost:
		co.forgetAfterRenewal(h, e.key)
		return e.how
	case failed:
		// Its failures stay on Stalled until the cool-off ends: the shard is not being read.
		co.cfg.Metrics.LeasesReleasedOnError.Add(1)
		co.coolOff[e.key] = time.Now().Add(co.cfg.LeaseDuration)
		co.cfg.Logger.Error("releasing the lease of a shard that keeps failing, for another replica to try", "lease_key", e.key, "shard_id", l.ShardID, "checkpoint", l.Checkpoint)
	case gone:
		// Not taken again until the shard sync, which runs now, has finished it if it aged out.
		co.forgetAfterRenewal(h, e.key)
		co.coolOff[e.key] = time.Now().Add(co.cfg.LeaseDuration)
	default:
		co.forgetAfterRenewal(h, e.key)
	}
	co.calls.Go(func() {
		h.renewals.Wait()
		l := h.get()
		ctx, cancel := co.call(co.tidy)
		defer cancel()
		if err := co.leases.Release(ctx, l, co.cfg.Owner); err != nil {
			// It expires in a lease duration instead.
			co.cfg.Logger.Warn("releasing a lease", "lease_key", e.key, "error", err)
		} else {
			co.cfg.Logger.Info("lease released", "lease_key", e.key, "shard_id", l.ShardID, "checkpoint", l.Checkpoint)
		}
	})
	return e.how
}

// drain waits for the readers to checkpoint their batches in hand, renewing meanwhile so no
// other replica takes a lease over a batch about to be checkpointed, then releases the leases.
func (co *coordinator) drain(cutOff func()) {
	done := make(chan struct{})
	go func() { co.readers.Wait(); close(done) }()
	deadline := time.NewTimer(co.cfg.ShutdownTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(renewInterval(co.cfg.LeaseDuration))
	defer tick.Stop()
	for len(co.held) > 0 {
		select {
		case e := <-co.ended:
			co.end(e)
		case <-tick.C:
			co.renew()
		case <-deadline.C:
			co.cfg.Logger.Warn("shutdown timeout reached; unfinished batches will be read again", "timeout", co.cfg.ShutdownTimeout.String())
			cutOff()
		}
	}
	<-done
}
