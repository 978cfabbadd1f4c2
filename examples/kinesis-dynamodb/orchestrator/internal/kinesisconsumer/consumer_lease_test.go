package kinesisconsumer

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

func owners(m *memoryLeases) map[string]int {
	out := map[string]int{}
	for _, l := range m.leases {
		out[l.Owner]++
	}
	return out
}

func TestReplicasShareTheShardsAndTakeOverOnStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		for _, s := range []string{"s0", "s1", "s2", "s3"} {
			k.put(s, "", body(s+"-a"))
		}
		cfg := Config{LeaseDuration: 3 * time.Second, MaxAttempts: 10}
		cfg.Owner = "a"
		_, stopA := runAs(t, k, cps, h, cfg)
		settle(2 * time.Second)
		cfg.Owner = "b"
		_, stopB := runAs(t, k, cps, h, cfg)
		settle(10 * time.Second) // b steals one lease a round until both hold two
		if got := owners(cps); got["a"] != 2 || got["b"] != 2 {
			t.Fatalf("owners %v, want two shards each", got)
		}
		if err := stopA(); err != nil {
			t.Fatal(err)
		}
		settle(2 * time.Second) // released on stop: taken within a round, not a lease duration
		if got := owners(cps); got["b"] != 4 {
			t.Errorf("owners %v after a stopped, want b holding all 4", got)
		}
		if err := stopB(); err != nil {
			t.Fatal(err)
		}
		if got := h.ids(); len(got) != 4 {
			t.Errorf("stored %v, want each shard's record once", got)
		}
	})
}

func TestReleasesTheLeaseOfAShardThatKeepsFailing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{failing: true}
		k.put("s0", "", body("a"))
		c, stop := runAs(t, k, cps, h, Config{MaxAttempts: 3})
		settle(20 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if got := c.cfg.Metrics.LeasesReleasedOnError.Load(); got < 1 {
			t.Errorf("leases released on error = %d, want at least 1", got)
		}
		if cp := cps.get("s0").Checkpoint; cp != TrimHorizon {
			t.Errorf("checkpoint %s, want none past records never stored", cp)
		}
	})
}

// shedder is a Handler whose worker refuses every call for load until shedding is cleared.
type shedder struct {
	recorder
	shedding atomic.Bool
	calls    atomic.Int32
}

func (s *shedder) Handle(ctx context.Context, reqs []*scoringv1.ScoreRequest) (map[int]error, error) {
	s.calls.Add(1)
	if s.shedding.Load() {
		return nil, fmt.Errorf("scoring: %w", status.Error(codes.ResourceExhausted, "scoring worker is at its in-flight limit"))
	}
	return s.recorder.Handle(ctx, reqs)
}

// Shedding is the worker's load, not the shard's failure: however long it lasts (here far
// more retries than MaxAttempts), the shard keeps its lease and backs off, and the records
// are stored once the worker takes them, never dead-lettered.
func TestSheddingBacksOffWithoutGivingUpTheShard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &shedder{}
		h.shedding.Store(true)
		k.put("s0", "", body("a"), body("b"))
		c, stop := runAs(t, k, cps, h, Config{MaxAttempts: 3})
		settle(time.Minute)
		if calls := h.calls.Load(); calls <= 3 || c.cfg.Metrics.LeasesReleasedOnError.Load() != 0 || cps.get("s0").Checkpoint != TrimHorizon {
			t.Fatalf("while shedding: %d calls, %d leases released on error, checkpoint %s; want retries past MaxAttempts, the lease kept, no checkpoint",
				calls, c.cfg.Metrics.LeasesReleasedOnError.Load(), cps.get("s0").Checkpoint)
		}
		h.shedding.Store(false)
		settle(5 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if cp := cps.get("s0").Checkpoint; cp != "2" || !slices.Equal(h.ids(), []string{"a", "b"}) || c.cfg.Metrics.DeadLettered.Load() != 0 {
			t.Errorf("after shedding: checkpoint %s, stored %v, dead-lettered %d; want 2, [a b], 0", cp, h.ids(), c.cfg.Metrics.DeadLettered.Load())
		}
	})
}
