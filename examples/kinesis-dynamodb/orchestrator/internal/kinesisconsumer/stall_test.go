package kinesisconsumer

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// tableDown is a lease table that fails every call while down is set, as DynamoDB (or the
// emulator) does once it stops answering.
type tableDown struct {
	*memoryLeases
	down atomic.Bool
}

var errTableDown = errors.New("dial tcp 127.0.0.1:4566: connect: connection refused")

func (t *tableDown) check() error {
	if t.down.Load() {
		return errTableDown
	}
	return nil
}

func (t *tableDown) List(ctx context.Context) ([]Lease, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.memoryLeases.List(ctx)
}

func (t *tableDown) Get(ctx context.Context, key string) (Lease, error) {
	if err := t.check(); err != nil {
		return Lease{}, err
	}
	return t.memoryLeases.Get(ctx, key)
}

func (t *tableDown) Take(ctx context.Context, l Lease, owner string) (Lease, error) {
	if err := t.check(); err != nil {
		return Lease{}, err
	}
	return t.memoryLeases.Take(ctx, l, owner)
}

func (t *tableDown) Renew(ctx context.Context, l Lease, owner string) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	return t.memoryLeases.Renew(ctx, l, owner)
}

func (t *tableDown) Checkpoint(ctx context.Context, l Lease, owner, cp string) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.memoryLeases.Checkpoint(ctx, l, owner, cp)
}

// A lease table that stops answering after the join takes the replica out of readiness within
// a renewal round plus stallAfter, keeps it out while the outage lasts (its leases run out
// meanwhile, and a replica holding none because the table is down can make no progress), and
// puts it back within a round of the table answering again.
func TestALeaseTableThatStopsAnsweringMakesTheReplicaUnreadyUntilItAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, table, h := &fakeKinesis{}, &tableDown{memoryLeases: &memoryLeases{}}, &recorder{}
		k.put("s0", "", body("a"))
		k.put("s1", "", body("b"))
		logs := &lockedBuffer{}
		c, stop := runAs(t, k, table, h, Config{Owner: "a", LeaseDuration: testLease, MaxAttempts: 10, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		settle(2 * time.Second)
		if !c.Running() || c.Stalled() != nil || owners(table.memoryLeases)["a"] != 2 {
			t.Fatalf("running %v, Stalled() = %v, owners %v once joined; want running, nil and both leases held", c.Running(), c.Stalled(), owners(table.memoryLeases))
		}

		table.down.Store(true)
		round := renewInterval(testLease)
		bound := round + stallAfter(testLease)
		settle(bound + time.Millisecond)
		// Past the lease duration, so the leases have run out: their renewals' failures go with
		// them, and only the table's own failure says why the replica does nothing.
		for end := time.Now().Add(3 * testLease); time.Now().Before(end); settle(100 * time.Millisecond) {
			if err := c.Stalled(); err == nil || !strings.Contains(err.Error(), "connection refused") {
				t.Fatalf("Stalled() = %v %v into a lease table outage (bound %v); want the table's failure, for readiness", err, time.Since(end.Add(-3*testLease))+bound, bound)
			}
		}
		if n := c.cfg.Metrics.LeasesLost.Load() + c.cfg.Metrics.LeasesRebalanced.Load(); n != 0 {
			t.Errorf("%d leases reported lost to another replica, want none: nobody took them", n)
		}
		// Readiness carries the outage, so its log lines follow workerclient.FailureLog's rule:
		// WARN at most once a second, never ERROR.
		outage := bound + 3*testLease
		var warns int
		for line := range strings.Lines(logs.String()) {
			switch {
			case strings.Contains(line, "level=ERROR"):
				t.Errorf("logged %q during a lease table outage, want WARN at most", line)
			case strings.Contains(line, "level=WARN") && strings.Contains(line, "reading the lease table"):
				warns++
			}
		}
		if limit := int(outage/time.Second) + 1; warns == 0 || warns > limit {
			t.Errorf("%d WARN lines about the lease table in a %v outage, want 1 to %d", warns, outage, limit)
		}

		table.down.Store(false)
		settle(round + time.Millisecond)
		if err := c.Stalled(); err != nil || !c.Running() {
			t.Errorf("Stalled() = %v, running %v a round after the table answers again, want nil and running", err, c.Running())
		}
		settle(testLease)
		if got := owners(table.memoryLeases)["a"]; got != 2 {
			t.Errorf("a holds %d leases after the outage, want both taken again", got)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// A replica holding no lease because another holds every shard is a standby, not a stall: it
// reads the table every round and takes a shard the moment one is free, so it stays ready (a
// rollout's surge replica would otherwise hold the rollout up).
func TestAReplicaWithNoShardLeftToTakeStaysReady(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.put("s0", "", body("a"))
		cfg := Config{Owner: "a", LeaseDuration: testLease, MaxAttempts: 10}
		a, _ := runAs(t, k, cps, h, cfg)
		settle(2 * time.Second)
		cfg.Owner = "b"
		b, _ := runAs(t, k, cps, h, cfg)
		settle(time.Second)
		for end := time.Now().Add(5 * testLease); time.Now().Before(end); settle(100 * time.Millisecond) {
			for _, c := range []*Consumer{a, b} {
				if err := c.Stalled(); err != nil || !c.Running() {
					t.Fatalf("%s: Stalled() = %v, running %v beside a replica holding the only shard (owners %v), want ready", c.cfg.Owner, err, c.Running(), owners(cps))
				}
			}
		}
		if got := owners(cps); got["a"]+got["b"] != 1 {
			t.Errorf("owners %v, want the one shard held", got)
		}
	})
}

// A blip shorter than stallAfter, cleared by the next round's retry, never reaches readiness.
func TestALeaseTableBlipIsNoStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, table, h := &fakeKinesis{}, &tableDown{memoryLeases: &memoryLeases{}}, &recorder{}
		k.put("s0", "", body("a"))
		c, _ := runAs(t, k, table, h, Config{Owner: "a", LeaseDuration: testLease, MaxAttempts: 10})
		settle(2 * time.Second)
		table.down.Store(true)
		for end := time.Now().Add(stallAfter(testLease) / 2); time.Now().Before(end); settle(50 * time.Millisecond) {
			if err := c.Stalled(); err != nil {
				t.Fatalf("Stalled() = %v within half of stallAfter (%v) of a blip, want nil", err, stallAfter(testLease))
			}
		}
		table.down.Store(false)
		for end := time.Now().Add(2 * testLease); time.Now().Before(end); settle(50 * time.Millisecond) {
			if err := c.Stalled(); err != nil {
				t.Fatalf("Stalled() = %v after a blip the retries cleared, want nil", err)
			}
		}
	})
}

// readsDown is a stream whose shard reads (iterators and records) fail while down is set.
type readsDown struct {
	*fakeKinesis
	down atomic.Bool
}

func (r *readsDown) GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, opts ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	if r.down.Load() {
		return nil, errTableDown
	}
	return r.fakeKinesis.GetShardIterator(ctx, in, opts...)
}

func (r *readsDown) GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	if r.down.Load() {
		return nil, errTableDown
	}
	return r.fakeKinesis.GetRecords(ctx, in, opts...)
}

// Shard reads that keep failing, with the leases renewed fine, are a stall by the same rule:
// the replica holds its shards and moves none of them on.
func TestShardReadsThatKeepFailingMakeTheReplicaUnready(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &readsDown{fakeKinesis: &fakeKinesis{}}
		k.put("s0", "", body("a"))
		c, stop := runAs(t, k, &memoryLeases{}, &recorder{}, Config{Owner: "a", LeaseDuration: testLease, MaxAttempts: 1000})
		settle(2 * time.Second)
		if err := c.Stalled(); err != nil {
			t.Fatalf("Stalled() = %v once joined, want nil", err)
		}
		k.down.Store(true)
		// A caught-up reader reads once a poll interval, so the failures begin within one.
		bound := time.Second + stallAfter(testLease)
		settle(bound + time.Millisecond)
		for end := time.Now().Add(2 * testLease); time.Now().Before(end); settle(100 * time.Millisecond) {
			if err := c.Stalled(); err == nil || !strings.Contains(err.Error(), "reading shard") {
				t.Fatalf("Stalled() = %v while the shard's reads fail, want them reported", err)
			}
		}
		k.down.Store(false)
		settle(3 * time.Second) // a retry's backoff (at most Retry.Max) and a poll
		if err := c.Stalled(); err != nil {
			t.Errorf("Stalled() = %v once reads answer again, want nil", err)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
