package kinesisconsumer

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Under LATEST a first deploy against a stream in use skips what the stream already holds (a
// closed shard is not leased at all), yet a shard split from one it reads starts at its oldest
// record: the child's records from before its lease was created are not lost.
func TestLatestSkipsTheBacklogButNotAChildsRecords(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.put("old", "", body("o1"))
		k.put("s0", "old", body("a1"))
		k.shards[0].closed = true
		time.Sleep(time.Second) // the backlog is older than the deploy
		_, stop := runAs(t, k, cps, h, Config{MaxAttempts: 1000, InitialPosition: Latest})
		settle(5 * time.Second)
		k.put("s0", "", body("a2"))
		settle(5 * time.Second)
		// A split: s0 closes, and its child holds a record well before the next shard sync
		// creates its lease.
		k.put("s1", "s0", body("c1"))
		k.mu.Lock()
		k.shards[1].closed = true
		k.mu.Unlock()
		settle(60 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"a2", "c1"}) {
			t.Errorf("stored %v, want [a2 c1]: the records added after the deploy, the child's all", h.ids())
		}
	})
}

// A replica that listed the lease table before another created the lease of a shard, and the
// shards after that shard split, starts the child where the other started the parent: the
// child's records from between the split and its own listing are not lost.
func TestLatestChildOfAParentLeasedElsewhereStartsWithIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, h := &fakeKinesis{}, &recorder{}
		k.put("s0", "", body("before"))
		time.Sleep(time.Second)
		// Another replica met s0 open and leased it from now on.
		cps := seeded(map[string]string{"s0": latestFrom(time.Now())})
		time.Sleep(time.Second)
		k.put("s0", "", body("a"))
		k.shards[0].closed = true
		k.put("s1", "s0", body("c1"))
		time.Sleep(time.Second)
		_, stop := runAs(t, k, &staleListing{memoryLeases: cps}, h, Config{MaxAttempts: 1000, InitialPosition: Latest})
		settle(60 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if got := h.ids(); !slices.Equal(got, []string{"a", "c1"}) {
			t.Errorf("stored %v, want [a c1]: everything after the parent's start, the child's records too", got)
		}
	})
}

// staleListing is a lease table whose first List answers from before another replica's
// Create: empty.
type staleListing struct {
	*memoryLeases
	listed atomic.Bool
}

func (s *staleListing) List(ctx context.Context) ([]Lease, error) {
	if s.listed.CompareAndSwap(false, true) {
		return nil, nil
	}
	return s.memoryLeases.List(ctx)
}

// Under LATEST a consumer whose clock runs ahead of the service's still reads the records that
// arrive after its lease was created, when the lease is read from its start again (a restart, a
// handover, a failed first batch): the start is the service's time, which stamps the records'
// arrival, not the consumer's.
func TestLatestStartsAtTheServicesTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{skew: -30 * time.Second}, &memoryLeases{}, &recorder{}
		k.put("s0", "", body("old"))
		time.Sleep(2 * time.Second)
		cfg := Config{MaxAttempts: 1000, InitialPosition: Latest}
		_, stop := runAs(t, k, cps, h, cfg)
		settle(5 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		k.put("s0", "", body("a"))
		_, stop = runAs(t, k, cps, h, cfg)
		settle(10 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if got := h.ids(); !slices.Equal(got, []string{"a"}) {
			t.Errorf("stored %v, want [a]: the record after the lease's start, none from before", got)
		}
	})
}

// A checkpoint wins over LATEST: a shard is read on from it.
func TestLatestResumesAfterACheckpoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, seeded(map[string]string{"s0": "1"}), &recorder{}
		k.put("s0", "", body("a"), body("b"))
		_, stop := runAs(t, k, cps, h, Config{MaxAttempts: 1000, InitialPosition: Latest})
		settle(5 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"b"}) {
			t.Errorf("stored %v, want [b], the record after the checkpoint", h.ids())
		}
	})
}

// A batch that fails before a LATEST lease's first checkpoint is read again when the lease is
// taken again: the lease keeps the time it started at, where the KCL's bare LATEST would start
// again after the failed records.
func TestLatestReadsAFailedFirstBatchAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.put("s0", "", body("old"))
		time.Sleep(time.Second)
		_, stop := runAs(t, k, cps, h, Config{MaxAttempts: 1000, InitialPosition: Latest})
		settle(5 * time.Second)
		h.mu.Lock()
		h.failing = true
		h.mu.Unlock()
		k.put("s0", "", body("a"))
		settle(5 * time.Second)
		h.mu.Lock()
		h.failing = false
		h.mu.Unlock()
		settle(30 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"a"}) {
			t.Errorf("stored %v, want [a]: the failed batch again, nothing from before the deploy", h.ids())
		}
		if _, ok := startTime(cps.get("s0").Checkpoint); ok {
			t.Errorf("checkpoint %q, want a's sequence number", cps.get("s0").Checkpoint)
		}
	})
}
