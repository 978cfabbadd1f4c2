package kinesisconsumer

import (
	"context"
	"fmt"
	"runtime/debug"
	"testing"
	"testing/synctest"
	"time"

	"example.com/kinesis-dynamodb/orchestrator/internal/hangwatch"
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
	// fail it, and nothing inside it can tell. Only real time ends that, so the watch is armed
	// outside the bubble.
	watchdog(t, "the consumer froze behind a hung checkpoint write (a lock held across the call?), or never stopped")
	synctest.Test(t, hungCheckpoint)
}

// watchdog ends the test binary if t is still running hangwatch.Ceiling from now (or just before
// go test's -timeout, if sooner), with what (the hang suspected) and every goroutine's stack,
// as -timeout itself does but sooner and naming the hang. Arm it outside any synctest bubble:
// its timer is on the real clock, the only one that moves while a bubble spins without blocking
// or waits on a mutex. It panics rather than failing t, since a frozen test cannot return.
func watchdog(t *testing.T, what string) {
	limit := hangwatch.Ceiling
	if deadline, ok := t.Deadline(); ok {
		limit = min(limit, time.Until(deadline)*19/20)
	}
	timer := time.AfterFunc(limit, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("%s still running after %v: %s", t.Name(), limit, what))
	})
	t.Cleanup(func() { timer.Stop() })
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
