package kinesisconsumer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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

// runAs starts a consumer with cfg's owner, lease duration, attempts and logger.
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

func TestShutdownFinishesAndCheckpointsTheBatchInHand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{delay: 3 * time.Second}
		k.put("s0", "", body("a"))
		_, stop := run(t, k, cps, h)
		time.Sleep(time.Second)
		if err := stop(); err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
		if cp := cps.get("s0").Checkpoint; cp != "1" || !slices.Equal(h.ids(), []string{"a"}) {
			t.Errorf("checkpoint %+v after storing %v, want the batch finished and checkpointed", cp, h.ids())
		}
		if owner := cps.get("s0").Owner; owner != "" {
			t.Errorf("lease held by %q after shutdown, want it released", owner)
		}
	})
}

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

func TestShutdownReleasesLeasesEvenWhenTheBatchIsCutOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{delay: time.Minute}
		k.put("s0", "", body("a"))
		_, stop := runAs(t, k, cps, h, Config{MaxAttempts: 10, ShutdownTimeout: 2 * time.Second})
		time.Sleep(time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if l := cps.get("s0"); l.Owner != "" {
			t.Errorf("lease %+v after a cut-off shutdown, want it released", l)
		}
	})
}

// releaseHangs is a lease table whose releases hang until their context ends, as on a
// DynamoDB endpoint that stopped answering.
type releaseHangs struct{ *memoryLeases }

func (releaseHangs) Release(ctx context.Context, _ Lease, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}

// scoresUntilCut is a Handler whose batch is still scoring when the work is cut off.
type scoresUntilCut struct{}

func (scoresUntilCut) Handle(ctx context.Context, _ []*scoringv1.ScoreRequest) (map[int]error, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// Shutdown is bounded however the lease table behaves: the batch is cut off at the shutdown
// timeout, and the release after it (here one that never answers) at CallTimeout, within
// TidyGrace more, which is what the platform's grace period is sized by. The lease then
// expires instead.
func TestShutdownEndsWithinTheTimeoutAndTidyGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &fakeKinesis{}
		k.put("s0", "", body("a"))
		c, stop := runAs(t, k, releaseHangs{&memoryLeases{}}, scoresUntilCut{}, Config{MaxAttempts: 10, ShutdownTimeout: 2 * time.Second})
		time.Sleep(time.Second)
		start := time.Now()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if took, want := time.Since(start), c.cfg.ShutdownTimeout+c.cfg.TidyGrace; took > want {
			t.Errorf("Run returned %v after its context ended; want at most %v (shutdown timeout %v + tidy grace %v)", took, want, c.cfg.ShutdownTimeout, c.cfg.TidyGrace)
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
