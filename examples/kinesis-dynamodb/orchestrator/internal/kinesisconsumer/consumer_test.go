package kinesisconsumer

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/ops"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
)

// recorder is a Handler that notes the ids it stored, and fails while failing is set.
type recorder struct {
	mu      sync.Mutex
	stored  []string
	failing bool
	delay   time.Duration
}

func (r *recorder) Handle(_ context.Context, reqs []*scoringv1.ScoreRequest) (map[int]error, error) {
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return nil, errors.New("table not found")
	}
	for _, req := range reqs {
		r.stored = append(r.stored, req.GetId())
	}
	return nil, nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.stored)
}

func (r *recorder) setFailing(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing = v
}

func body(id string) string { return `{"id":"` + id + `"}` }

// run starts a consumer and returns a func that stops it and reports Run's result.
func run(t *testing.T, k *fakeKinesis, cps *memoryCheckpoints, h Handler) (*Consumer, func() error) {
	t.Helper()
	c := New(k, cps, h, Config{
		StreamName:      "requests",
		ShutdownTimeout: 10 * time.Second,
		Retry:           pipeline.Retry{Max: time.Second},
		Metrics:         &ops.Metrics{},
		Logger:          slog.New(slog.DiscardHandler),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	return c, func() error {
		cancel()
		return <-done
	}
}

// settle lets the consumer work for d of fake time, until everything is blocked.
func settle(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func TestCheckpointsAfterStoringAndResumesAfterTheCheckpoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryCheckpoints{}, &recorder{failing: true}
		k.put("s0", "", body("a"), body("b"))
		_, stop := run(t, k, cps, h)
		settle(5 * time.Second)
		if cp := cps.get("s0"); cp.SequenceNumber != "" {
			t.Fatalf("checkpoint %+v while nothing could be stored, want none", cp)
		}
		h.setFailing(false)
		settle(5 * time.Second)
		if cp := cps.get("s0"); cp.SequenceNumber != "2" || !slices.Equal(h.ids(), []string{"a", "b"}) {
			t.Fatalf("checkpoint %+v after storing %v, want 2 after [a b]", cp, h.ids())
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}

		k.put("s0", "", body("c"))
		_, stop = run(t, k, cps, h)
		settle(5 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"a", "b", "c"}) || !slices.Contains(k.iterators, "s0 AFTER_SEQUENCE_NUMBER 2") {
			t.Errorf("stored %v with iterators %v, want c alone read after sequence 2", h.ids(), k.iterators)
		}
	})
}

func TestGetsANewIteratorWhenOneExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryCheckpoints{}, &recorder{}
		k.put("s0", "", body("a"))
		_, stop := run(t, k, cps, h)
		settle(5 * time.Second)
		k.mu.Lock()
		k.expire = map[string]bool{"s0": true}
		k.mu.Unlock()
		k.put("s0", "", body("b"))
		settle(5 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"a", "b"}) || !slices.Contains(k.iterators, "s0 AFTER_SEQUENCE_NUMBER 1") {
			t.Errorf("stored %v with iterators %v, want [a b] and a new iterator after the checkpoint", h.ids(), k.iterators)
		}
	})
}

func TestReadsAChildShardOnlyOnceItsParentIsFinished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryCheckpoints{}, &recorder{delay: 2 * time.Second}
		k.put("parent", "", body("p1"), body("p2"))
		k.put("child", "parent", body("c1"))
		k.shards[0].closed = true
		_, stop := run(t, k, cps, h)
		settle(10 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"p1", "p2", "c1"}) {
			t.Errorf("stored %v, want the parent's records before the child's", h.ids())
		}
		if cp := cps.get("parent"); !cp.Finished || cp.SequenceNumber != "2" {
			t.Errorf("parent's checkpoint %+v, want finished at 2", cp)
		}
	})
}

func TestSkipsFinishedShardsOnRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, h := &fakeKinesis{}, &recorder{}
		cps := &memoryCheckpoints{cps: map[string]Checkpoint{"parent": {SequenceNumber: "1", Finished: true}}}
		k.put("parent", "", body("p1"))
		k.put("child", "parent", body("c1"))
		k.shards[0].closed = true
		_, stop := run(t, k, cps, h)
		settle(5 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"c1"}) {
			t.Errorf("stored %v, want only the child's record", h.ids())
		}
	})
}

func TestSkipsPoisonRecordsAndCheckpointsPastThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryCheckpoints{}, &recorder{}
		k.put("s0", "", body("a"), "not json", `{"id":""}`)
		c, stop := run(t, k, cps, h)
		settle(5 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"a"}) || cps.get("s0").SequenceNumber != "3" {
			t.Errorf("stored %v, checkpoint %+v; want [a] and a checkpoint past the poison", h.ids(), cps.get("s0"))
		}
		if got := c.cfg.Metrics.DeadLettered.Load(); got != 2 {
			t.Errorf("dead_lettered = %d, want 2", got)
		}
	})
}

func TestShutdownFinishesAndCheckpointsTheBatchInHand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryCheckpoints{}, &recorder{delay: 3 * time.Second}
		k.put("s0", "", body("a"))
		_, stop := run(t, k, cps, h)
		time.Sleep(time.Second)
		if err := stop(); err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
		if cp := cps.get("s0"); cp.SequenceNumber != "1" || !slices.Equal(h.ids(), []string{"a"}) {
			t.Errorf("checkpoint %+v after storing %v, want the batch finished and checkpointed", cp, h.ids())
		}
	})
}
