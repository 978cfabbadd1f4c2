package workerclient_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/workerclient"
)

// healthLog is a log handler that signals each health change the client logs, the event
// Health() follows: setHealth stores the new health before it logs the change. Signals
// coalesce (a buffer of one), as a waiter reads the latest health whenever woken.
type healthLog chan struct{}

func newHealthLog() healthLog { return make(healthLog, 1) }

func (h healthLog) Enabled(context.Context, slog.Level) bool { return true }

func (h healthLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "worker health changed" {
		select {
		case h <- struct{}{}:
		default:
		}
	}
	return nil
}

func (h healthLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h healthLog) WithGroup(string) slog.Handler      { return h }

// watchingClient is a client for addrs whose health changes changes signals.
func watchingClient(t *testing.T, changes healthLog, addrs ...string) *workerclient.Client {
	t.Helper()
	c, err := workerclient.New(addrs, workerclient.Options{CallTimeout: time.Second, Logger: slog.New(changes)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestWatchHealth(t *testing.T) {
	addr, hs, srv := serve(t, &flakyWorker{})
	svc := scoringv1.ScoringService_ServiceDesc.ServiceName
	hs.SetServingStatus(svc, healthpb.HealthCheckResponse_NOT_SERVING)
	changes := newHealthLog()
	c := watchingClient(t, changes, addr)
	if got := c.Health(); got != workerclient.HealthUnknown {
		t.Fatalf("Health() before watching = %v, want unknown", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.WatchHealth(ctx)
	}()

	waitFor(t, c, changes, workerclient.HealthNotServing)
	hs.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	waitFor(t, c, changes, workerclient.HealthServing)
	srv.Stop()
	waitFor(t, c, changes, workerclient.HealthNotServing)

	cancel()
	select {
	case <-done:
	case <-time.After(realCeiling):
		t.Fatalf("WatchHealth did not return within %v of its context being cancelled", realCeiling)
	}
}

func TestWatchHealthUnregisteredService(t *testing.T) {
	// A worker that never registers the scoring service's health answers SERVICE_UNKNOWN,
	// which must not count as ready.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, lis, &flakyWorker{})
	changes := newHealthLog()
	c := watchingClient(t, changes, lis.Addr().String())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.WatchHealth(ctx)
	waitFor(t, c, changes, workerclient.HealthNotServing)
}

// waitFor waits until c's health is want, woken by each change changes signals.
func waitFor(t *testing.T, c *workerclient.Client, changes healthLog, want workerclient.Health) {
	t.Helper()
	ceiling := time.NewTimer(realCeiling)
	defer ceiling.Stop()
	for c.Health() != want {
		select {
		case <-changes:
		case <-ceiling.C:
			t.Fatalf("Health() = %v after %v, want %v", c.Health(), realCeiling, want)
		}
	}
}
