package workerclient_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/workerclient"
)

// watched is a client for addrs whose health is followed until the test ends, and the
// signal of its health changing.
func watched(t *testing.T, addrs ...string) (*workerclient.Client, healthLog) {
	t.Helper()
	changes := newHealthLog()
	c := watchingClient(t, changes, addrs...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.WatchHealth(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return c, changes
}

func scoreN(t *testing.T, c *workerclient.Client, n int) {
	t.Helper()
	for range n {
		if _, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"}); err != nil {
			t.Fatalf("Score() error %v", err)
		}
	}
}

// Health is per replica: one replica saying NOT_SERVING takes it out of rotation and
// leaves the worker serving; the worker is not serving only once no replica is.
func TestReplicasBalanceAndFailOverOnHealth(t *testing.T) {
	a, b := &flakyWorker{}, &flakyWorker{}
	addrA, hsA, _ := serve(t, a)
	addrB, _, srvB := serve(t, b)
	c, changes := watched(t, addrA, addrB)
	waitFor(t, c, changes, workerclient.HealthServing)

	// Both replicas connected and healthy before counting: round_robin may start on one.
	deadline := time.Now().Add(realCeiling)
	for a.calls.Load() == 0 || b.calls.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("calls a=%d b=%d, want both replicas used", a.calls.Load(), b.calls.Load())
		}
		scoreN(t, c, 10)
	}

	hsA.SetServingStatus(scoringv1.ScoringService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_NOT_SERVING)
	deadline = time.Now().Add(realCeiling)
	for {
		before := a.calls.Load()
		scoreN(t, c, 20)
		if a.calls.Load() == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("replica a still gets calls after reporting NOT_SERVING")
		}
	}
	if got := c.Health(); got != workerclient.HealthServing {
		t.Fatalf("Health() = %v with replica b serving, want serving", got)
	}

	srvB.Stop()
	waitFor(t, c, changes, workerclient.HealthNotServing)
}

// A worker on a Unix socket is reached as unix:///path, alone or in a replica list.
func TestUnixSocketReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scorer.sock")
	lis, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	onUnix := &flakyWorker{}
	hs, _ := serveOn(t, lis, onUnix)
	hs.SetServingStatus(scoringv1.ScoringService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)

	c, changes := watched(t, "unix://"+path)
	waitFor(t, c, changes, workerclient.HealthServing)
	scoreN(t, c, 3)
	if got := onUnix.calls.Load(); got != 3 {
		t.Fatalf("worker on the socket got %d calls, want 3", got)
	}

	onTCP := &flakyWorker{}
	addr, _, _ := serve(t, onTCP)
	both, bothChanges := watched(t, "unix://"+path, addr)
	waitFor(t, both, bothChanges, workerclient.HealthServing)
	deadline := time.Now().Add(realCeiling)
	for onTCP.calls.Load() == 0 || onUnix.calls.Load() == 3 {
		if time.Now().After(deadline) {
			t.Fatalf("calls unix=%d tcp=%d, want both replicas used", onUnix.calls.Load()-3, onTCP.calls.Load())
		}
		scoreN(t, both, 10)
	}
}
