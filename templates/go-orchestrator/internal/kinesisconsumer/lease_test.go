package kinesisconsumer

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCheckpointsOnlyMoveForwardAsBigIntegers(t *testing.T) {
	// Real sequence numbers are 56 digits, past any machine integer; "9" > "10" as strings.
	big := "49590338271490256608559692538361571095921575989136588898"
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{TrimHorizon, "1", true},
		{"9", "10", true},
		{"10", "9", false},
		{"10", "10", false},
		{big, big + "0", true},
		{big, "4959033827149025660855969253836157109592157598913658889", false},
		{"10", ShardEnd, true},
		{ShardEnd, "11", false},
		{ShardEnd, ShardEnd, false},
		{"10", "x", false},
	} {
		if err := checkForward(c.from, c.to); (err == nil) != c.ok {
			t.Errorf("checkForward(%s, %s) = %v, want ok=%v", c.from, c.to, err, c.ok)
		}
	}
}

func TestAReplicaThatLostItsLeaseCannotCheckpoint(t *testing.T) {
	ctx := context.Background()
	m := seeded(map[string]string{"s0": TrimHorizon})
	a, err := m.Take(ctx, m.get("s0"), "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Checkpoint(ctx, a, "a", "5"); err != nil {
		t.Fatal(err)
	}
	a.Checkpoint = "5"
	// a stops renewing; b finds the lease expired and takes it.
	b, err := m.Take(ctx, m.get("s0"), "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Checkpoint(ctx, a, "a", "9"); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("checkpoint by the old owner = %v, want ErrLeaseLost", err)
	}
	if _, err := m.Renew(ctx, a, "a"); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("renewal by the old owner = %v, want ErrLeaseLost", err)
	}
	if b.Checkpoint != "5" || m.Checkpoint(ctx, b, "b", "6") != nil {
		t.Errorf("the new owner resumes at %s and must checkpoint past it", b.Checkpoint)
	}
}

func owned(shard, owner string, counter int64) Lease {
	return Lease{Key: shard, ShardID: shard, Owner: owner, Counter: counter, Checkpoint: "1"}
}

func keys(ls []Lease) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Key)
	}
	return out
}

func TestPlanTakesUpToAFairShare(t *testing.T) {
	leases := []Lease{owned("s0", "", 0), owned("s1", "", 0), owned("s2", "", 0), owned("s3", "", 0)}
	if got := keys(plan(leases, "a", nil, nil)); len(got) != 4 {
		t.Errorf("alone: took %v, want all 4", got)
	}
	leases[0].Owner, leases[1].Owner = "b", "c"
	// 4 shards, 3 owners: a share is ceil(4/3) = 2.
	if got := keys(plan(leases, "a", nil, nil)); len(got) != 2 || got[0] != "s2" {
		t.Errorf("with b and c: took %v, want 2 free ones", got)
	}
}

func TestPlanStealsOneFromTheMostLoadedOwner(t *testing.T) {
	leases := []Lease{owned("s0", "b", 3), owned("s1", "b", 3), owned("s2", "c", 3), owned("s3", "d", 3)}
	if got := keys(plan(leases, "a", nil, nil)); len(got) != 1 || got[0] != "s0" {
		t.Errorf("took %v, want one of b's", got)
	}
	balanced := []Lease{owned("s0", "b", 3), owned("s1", "b", 3), owned("s2", "c", 3), owned("s3", "a", 3)}
	if got := plan(balanced, "a", nil, map[string]bool{"s3": true}); len(got) != 0 {
		t.Errorf("took %v from a balanced table (2/1/1 of 4 for 3 owners), want none", keys(got))
	}
}

func TestPlanTakesExpiredLeasesAndRespectsParents(t *testing.T) {
	leases := []Lease{owned("s0", "dead", 3), owned("s1", "dead", 3), owned("child", "", 0)}
	leases[2].Parents = []string{"s1"}
	got := keys(plan(leases, "a", map[string]bool{"s0": true, "s1": true}, nil))
	if len(got) != 2 || got[0] != "s0" || got[1] != "s1" {
		t.Errorf("took %v, want the expired s0 and s1, not the child of an unfinished parent", got)
	}
	leases[1].Checkpoint = ShardEnd
	if got := keys(plan(leases, "a", map[string]bool{"s0": true}, nil)); len(got) != 2 || got[0] != "child" {
		t.Errorf("took %v, want the child once its parent is finished", got)
	}
}

func TestExpiryIsACounterStandingStillForALeaseDuration(t *testing.T) {
	e := expiry{duration: 3 * time.Second}
	t0 := time.Unix(0, 0)
	l := owned("s0", "b", 1)
	if e.update([]Lease{l}, t0)["s0"] {
		t.Error("expired when first seen")
	}
	if e.update([]Lease{l}, t0.Add(2*time.Second))["s0"] {
		t.Error("expired within the lease duration")
	}
	l.Counter = 2 // renewed
	if e.update([]Lease{l}, t0.Add(4*time.Second))["s0"] {
		t.Error("expired right after a renewal")
	}
	if !e.update([]Lease{l}, t0.Add(8*time.Second))["s0"] {
		t.Error("not expired after standing still for longer than the lease duration")
	}
}
