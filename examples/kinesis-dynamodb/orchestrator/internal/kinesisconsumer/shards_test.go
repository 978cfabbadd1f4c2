package kinesisconsumer

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// A parent shard past the stream's retention is listed no more and unknown to GetShardIterator:
// its lease is finished (counted as aged out) and its children are read, rather than waiting
// for it for ever; then its lease is deleted.
func TestTheChildrenOfAnAgedOutParentAreRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, h := &fakeKinesis{}, &recorder{}
		cps := seeded(map[string]string{"parent": "1"})
		k.put("parent", "", body("p1"), body("p2"))
		k.put("child", "parent", body("c1"))
		k.shards[0].closed, k.shards[0].agedOut = true, true
		c, stop := run(t, k, cps, h)
		settle(40 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"c1"}) {
			t.Errorf("stored %v, want the child's record", h.ids())
		}
		if n := c.cfg.Metrics.ShardsAgedOut.Load(); n != 1 {
			t.Errorf("shards aged out = %d, want 1", n)
		}
		if _, ok := cps.leases["parent"]; ok || !slices.Equal(cps.deleted, []string{"parent"}) {
			t.Errorf("deleted %v, want the aged-out parent's lease deleted", cps.deleted)
		}
	})
}

// A shard that ages out while it is being read answers ResourceNotFoundException: the reader
// stops at once, without spending its attempts, and the listing finishes the lease.
func TestAShardThatAgesOutWhileReadIsFinished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.put("parent", "", body("p1"))
		c, stop := run(t, k, cps, h)
		settle(5 * time.Second)
		k.put("child", "parent", body("c1"))
		k.mu.Lock()
		k.shards[0].closed, k.shards[0].agedOut = true, true
		k.mu.Unlock()
		settle(10 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"p1", "c1"}) {
			t.Errorf("stored %v, want the parent's record, then the child's", h.ids())
		}
		if got := [2]int64{c.cfg.Metrics.ShardsAgedOut.Load(), c.cfg.Metrics.LeasesReleasedOnError.Load()}; got != [2]int64{1, 0} {
			t.Errorf("shards aged out, leases released on error = %v, want [1 0]", got)
		}
	})
}

// Once its children have started, a finished parent's lease is deleted, so the table does not
// grow with every reshard; and it is not created again while the stream still lists the
// shard, which would read it again from the start.
func TestFinishedLeasesAreDeletedOnceTheirChildrenStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.put("parent", "", body("p1"))
		k.put("child", "parent", body("c1"))
		k.shards[0].closed = true
		_, stop := run(t, k, cps, h)
		settle(100 * time.Second) // three shard syncs after the parent finished
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"p1", "c1"}) {
			t.Errorf("stored %v, want each record once", h.ids())
		}
		if _, ok := cps.leases["parent"]; ok || !slices.Equal(cps.deleted, []string{"parent"}) {
			t.Errorf("leases %v, deleted %v; want the parent's deleted, for good", cps.leases, cps.deleted)
		}
	})
}

// Once the children too are finished and collected, the grandparent, still listed, is not
// leased again either: its open descendants have leases.
func TestACollectedLineageIsNotLeasedAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.put("g", "", body("g1"))
		k.put("p", "g", body("p1"))
		k.put("c", "p", body("c1"))
		k.shards[0].closed, k.shards[1].closed = true, true
		_, stop := run(t, k, cps, h)
		settle(200 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"g1", "p1", "c1"}) {
			t.Errorf("stored %v, want each record once", h.ids())
		}
		if _, ok := cps.leases["c"]; !ok || len(cps.leases) != 1 {
			t.Errorf("leases %v, deleted %v; want the open shard's alone", cps.leases, cps.deleted)
		}
	})
}
