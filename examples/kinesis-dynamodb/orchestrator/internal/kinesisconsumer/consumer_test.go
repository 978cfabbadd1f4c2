package kinesisconsumer

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/ops"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
)

// recorder is a Handler that notes the ids it stored, and fails while failing is set, or while
// down is set, which also makes the consumer's Ready false, as a worker whose health check
// fails or a sink failing its probes does.
type recorder struct {
	mu      sync.Mutex
	stored  []string
	failing bool
	down    bool
	calls   int
	delay   time.Duration
}

func (r *recorder) ready() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.down
}

func (r *recorder) setDown(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = v
}

func (r *recorder) handled() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

func (r *recorder) Handle(_ context.Context, reqs []*scoringv1.ScoreRequest) (map[int]error, error) {
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failing || r.down {
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

func body(id string) string { return `{"id":"` + id + `"}` }

// run starts a consumer and returns a func that stops it and reports Run's result.
func run(t *testing.T, k *fakeKinesis, cps *memoryLeases, h Handler) (*Consumer, func() error) {
	t.Helper()
	return runAs(t, k, cps, h, Config{MaxAttempts: 1000})
}

// runAs starts a consumer with cfg's owner, lease duration, attempts, initial position and logger.
func runAs(t *testing.T, k API, cps Leases, h Handler, cfg Config) (*Consumer, func() error) {
	t.Helper()
	var ready func() bool
	if r, ok := h.(interface{ ready() bool }); ok {
		ready = r.ready
	}
	c := New(k, func(int64) Leases { return cps }, &memoryDeadLetters{}, h, Config{
		Ready:           ready,
		StreamName:      "requests",
		Owner:           cfg.Owner,
		LeaseDuration:   cfg.LeaseDuration,
		MaxAttempts:     cfg.MaxAttempts,
		InitialPosition: cfg.InitialPosition,
		ShutdownTimeout: cmp.Or(cfg.ShutdownTimeout, 10*time.Second),
		TidyGrace:       3 * time.Second,
		Retry:           pipeline.Retry{Max: time.Second},
		Metrics:         &ops.Metrics{},
		Logger:          cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	// A test that fails before it stops the consumer stops it here: its timers would
	// otherwise keep the bubble's clock running, and the bubble would never end.
	t.Cleanup(func() { _ = stop() })
	return c, stop
}

// settle lets the consumer work for d of fake time, until everything is blocked.
func settle(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func TestCheckpointsAfterStoringAndResumesAfterTheCheckpoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{down: true}
		k.put("s0", "", body("a"), body("b"))
		_, stop := run(t, k, cps, h)
		settle(5 * time.Second)
		if cp := cps.get("s0").Checkpoint; cp != TrimHorizon {
			t.Fatalf("checkpoint %+v while nothing could be stored, want none", cp)
		}
		h.setDown(false)
		settle(5 * time.Second)
		if cp := cps.get("s0").Checkpoint; cp != "2" || !slices.Equal(h.ids(), []string{"a", "b"}) {
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
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
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
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{delay: 2 * time.Second}
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
		if len(cps.writes) < 2 || !strings.HasPrefix(cps.writes[0], "parent 2 ") || cps.get("parent").Checkpoint != ShardEnd {
			t.Errorf("parent's checkpoints %v, want 2 then %s", cps.writes, ShardEnd)
		}
	})
}

func TestSkipsFinishedShardsOnRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, h := &fakeKinesis{}, &recorder{}
		cps := seeded(map[string]string{"parent": ShardEnd})
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
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.put("s0", "", body("a"), "not json", `{"id":""}`)
		c, stop := run(t, k, cps, h)
		settle(5 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.ids(), []string{"a"}) || cps.get("s0").Checkpoint != "3" {
			t.Errorf("stored %v, checkpoint %+v; want [a] and a checkpoint past the poison", h.ids(), cps.get("s0"))
		}
		if got := c.cfg.Metrics.DeadLettered.Load(); got != 2 {
			t.Errorf("dead_lettered = %d, want 2", got)
		}
		dead := c.deadLetters.(*memoryDeadLetters).records
		if !slices.Equal(dead, []string{"s0 2 not json", `s0 3 {"id":""}`}) {
			t.Errorf("dead letters %q, want both poison records with their payload", dead)
		}
	})
}
