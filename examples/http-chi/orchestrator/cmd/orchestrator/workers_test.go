package main

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/config"
	"example.com/http-chi/orchestrator/internal/workerclient"
)

// healthyWorker serves the real grpc.health.v1 service on loopback, reporting the scoring
// service SERVING, and returns its address and the health server that sets that status.
func healthyWorker(t *testing.T) (string, *health.Server) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	hs.SetServingStatus(scoringv1.ScoringService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String(), hs
}

// setHealth sets what a healthyWorker reports for the scoring service.
func setHealth(hs *health.Server, serving bool) {
	status := healthpb.HealthCheckResponse_NOT_SERVING
	if serving {
		status = healthpb.HealthCheckResponse_SERVING
	}
	hs.SetServingStatus(scoringv1.ScoringService_ServiceDesc.ServiceName, status)
}

// twoWorkers connects to a primary "scorer" and an added "pricing" worker, both real gRPC
// health servers, and follows their health until the test ends; changed signals each change
// of a client's health, which waitHealth waits on.
func twoWorkers(t *testing.T) (cfg config.Config, ws *workers, scorer, pricing *health.Server, changed logSignal) {
	t.Helper()
	scorerAddr, scorer := healthyWorker(t)
	pricingAddr, pricing := healthyWorker(t)
	cfg = config.Config{
		Workers:        []config.Worker{{Name: "scorer", Addrs: []string{scorerAddr}}, {Name: "pricing", Addrs: []string{pricingAddr}}},
		RequestTimeout: time.Second,
	}
	changed = onLog(func(r slog.Record) bool { return r.Message == "worker health changed" })
	ws, err := dialWorkers(cfg, slog.New(changed))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ws.close)
	t.Cleanup(ws.watch())
	return cfg, ws, scorer, pricing, changed
}

// waitHealth waits until worker i's client has learned want, woken by each health change
// changed signals (the client stores its health before it logs the change).
func waitHealth(t *testing.T, ws *workers, changed logSignal, i int, want workerclient.Health) {
	t.Helper()
	ceiling := time.NewTimer(realCeiling)
	defer ceiling.Stop()
	for ws.clients[i].Health() != want {
		select {
		case <-changed.ch:
		case <-ceiling.C:
			t.Fatalf("worker %d health is %s after %v, want %s", i, ws.clients[i].Health(), realCeiling, want)
		}
	}
}
