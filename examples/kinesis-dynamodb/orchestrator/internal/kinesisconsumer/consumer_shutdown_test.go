package kinesisconsumer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

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

// recreatedLeases is memoryLeases whose listing, once recreated is set, finds a later
// incarnation of the stream's leases, as DynamoDBLeases.List does then.
type recreatedLeases struct {
	*memoryLeases
	recreated atomic.Bool
}

func (r *recreatedLeases) List(ctx context.Context) ([]Lease, error) {
	if r.recreated.Load() {
		return nil, fmt.Errorf("lease requests:2000:s0: %w", errStreamCreatedAgain)
	}
	return r.memoryLeases.List(ctx)
}

// A replica whose stream was created again while it ran stops on its own as for a shutdown,
// its lease released, and Run says why, for a restart to join the new stream; staying, it
// would fight the new incarnation's replicas over the table.
func TestLeavesWhenTheStreamIsCreatedAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &recreatedLeases{memoryLeases: &memoryLeases{}}, &recorder{}
		k.put("s0", "", body("a"))
		_, stop := runAs(t, k, cps, h, Config{MaxAttempts: 1000})
		settle(time.Second)
		if owner := cps.get("s0").Owner; owner == "" || !slices.Equal(h.ids(), []string{"a"}) {
			t.Fatalf("lease owner %q, stored %v: want the shard read before the stream is created again", owner, h.ids())
		}
		cps.recreated.Store(true)
		settle(10 * time.Second)
		if owner := cps.get("s0").Owner; owner != "" {
			t.Errorf("lease held by %q after the stream was created again, want it released", owner)
		}
		if err := stop(); !errors.Is(err, errStreamCreatedAgain) {
			t.Errorf("Run() = %v, want %v", err, errStreamCreatedAgain)
		}
	})
}
