package kinesisconsumer

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// checkpointHangs is a lease table whose checkpoint writes to one shard never answer: each
// waits until its context ends, as behind a proxy that swallows every `SET checkpoint`.
type checkpointHangs struct {
	*memoryLeases
	shard string
}

func (c checkpointHangs) Checkpoint(ctx context.Context, l Lease, owner, cp string) error {
	if l.ShardID == c.shard {
		<-ctx.Done()
		return ctx.Err()
	}
	return c.memoryLeases.Checkpoint(ctx, l, owner, cp)
}

// A checkpoint write that hangs holds up its own shard only: the other shard's lease is still
// renewed and its records read and checkpointed, readiness reports the stall, and shutdown
// ends within the shutdown timeout and tidy grace.
func TestAHungCheckpointHoldsUpOnlyItsShard(t *testing.T) {
	// A goroutine waiting on a mutex keeps synctest's clock still, and so does one that spins
	// without blocking: a lock held across the hung write would freeze the bubble rather than
	// fail it, and nothing inside it can tell. Only real time ends that, so the watch is kept
	// outside the bubble; but on go test's own -timeout, not a clock of its own that a loaded
	// machine could overrun: it only names the freeze before the binary's timeout would
	// panic without saying what froze.
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		synctest.Test(t, hungCheckpoint)
	}()
	var frozen <-chan time.Time // never, with -timeout 0
	if deadline, ok := t.Deadline(); ok {
		frozen = time.After(time.Until(deadline) * 19 / 20)
	}
	select {
	case <-finished:
	case <-frozen:
		t.Fatal("the consumer froze behind a hung checkpoint write (a lock held across the call?), or never stopped (see above)")
	}
}

func hungCheckpoint(t *testing.T) {
	k := &fakeKinesis{}
	k.put("s0", "", body("a"))
	k.put("s1", "")
	leases := checkpointHangs{memoryLeases: &memoryLeases{}, shard: "s0"}
	h := &recorder{}
	c, stop := runAs(t, k, leases, h, Config{Owner: "a", LeaseDuration: testLease, MaxAttempts: 3, ShutdownTimeout: 2 * time.Second})
	settle(2 * time.Second)
	if err := c.Stalled(); err == nil {
		t.Error("Stalled() = nil while a checkpoint write hangs, want it reported for readiness")
	}
	before := leases.get("s1")
	settle(10 * testLease)
	after := leases.get("s1")
	if after.Owner != "a" || after.Counter < before.Counter+10 {
		t.Errorf("idle shard's lease went from %+v to %+v in %v, want it held by a and renewed every %v", before, after, 10*testLease, testLease/3)
	}
	k.put("s1", "", body("b"))
	settle(testLease)
	if cp := leases.get("s1").Checkpoint; cp == TrimHorizon {
		t.Errorf("idle shard's checkpoint %s after a record arrived, want it read and checkpointed", cp)
	}
	if n := c.cfg.Metrics.LeasesLost.Load(); n != 0 {
		t.Errorf("%d leases lost, want none: the hung writes are this replica's own", n)
	}
	// On the bubble's clock, so the bound is exact: Run has returned by it, or fails here
	// rather than when go test's timeout runs out.
	bound := c.cfg.ShutdownTimeout + c.cfg.TidyGrace
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(bound + time.Nanosecond):
		t.Fatalf("Run still running %v after its context ended, want it to return within %v (shutdown timeout + tidy grace)", bound, bound)
	}
}
