package kinesisconsumer

import (
	"testing"
	"testing/synctest"
	"time"
)

// A batch that fails on a worker and sink that look healthy spends one delivery's retry budget,
// the Handler's own, and no second one on top: its lease is released after one Handle call.
func TestOneDeliverySpendsOneRetryBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{failing: true}
		k.put("s0", "", body("a"))
		c, stop := runAs(t, k, cps, h, Config{Owner: "a", MaxAttempts: 10})
		settle(5 * time.Second) // within the first tenure: the cool-off is a lease duration
		if n := h.handled(); n != 1 {
			t.Errorf("%d Handle calls for one delivery, want 1 (Handle retries within itself)", n)
		}
		if n := c.cfg.Metrics.LeasesReleasedOnError.Load(); n != 1 {
			t.Errorf("%d leases released on error, want 1", n)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// While the worker or sink is down (Ready false) the shard pauses with its lease kept and
// renewed: no Handle calls spent, no lease released, and it resumes when they are back.
func TestAnOutagePausesTheShardWithoutChurningItsLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{down: true}
		k.put("s0", "", body("a"))
		c, stop := runAs(t, k, cps, h, Config{Owner: "a", MaxAttempts: 10})
		settle(5 * time.Minute)
		if n, released, owner := h.handled(), c.cfg.Metrics.LeasesReleasedOnError.Load(), cps.get("s0").Owner; n > 1 || released != 0 || owner != "a" {
			t.Errorf("after a 5-minute outage: %d Handle calls, %d leases released, owner %q; want at most 1, none, a", n, released, owner)
		}
		h.setDown(false)
		settle(5 * time.Second)
		if cp := cps.get("s0").Checkpoint; cp != "1" {
			t.Errorf("checkpoint %s once the outage ended, want 1", cp)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
