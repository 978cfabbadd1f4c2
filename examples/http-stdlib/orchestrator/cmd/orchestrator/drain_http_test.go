package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
)

// echoScorer scores every request 0 under its own id.
type echoScorer struct {
	scoringv1.UnimplementedScoringServiceServer
}

func (echoScorer) Score(_ context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
}

// scoringWorker serves the scoring and health services on loopback, SERVING.
func scoringWorker(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	scoringv1.RegisterScoringServiceServer(srv, echoScorer{})
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	hs.SetServingStatus(scoringv1.ScoringService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// freeAddr is a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// A pod told to stop is still sent requests until the balancers catch up: through
// SHUTDOWN_DELAY the API answers them, while /readyz fails at once; then it stops
// accepting and drains, and run returns nil. With OPS_LISTEN_ADDR set, /readyz is there
// and the API's port serves the API alone.
func TestStopServesThroughShutdownDelayWithReadinessFailing(t *testing.T) {
	for _, separate := range []bool{false, true} {
		name := "ops on the API's port"
		if separate {
			name = "ops on OPS_LISTEN_ADDR"
		}
		t.Run(name, func(t *testing.T) { testStopServesThroughShutdownDelay(t, separate) })
	}
}

func testStopServesThroughShutdownDelay(t *testing.T, separateOps bool) {
	worker := scoringWorker(t)
	addr := freeAddr(t)
	t.Setenv("LISTEN_ADDR", addr)
	api, opsBase := "http://"+addr, "http://"+addr
	if separateOps {
		opsAddr := freeAddr(t)
		t.Setenv("OPS_LISTEN_ADDR", opsAddr)
		opsBase = "http://" + opsAddr
	}
	t.Setenv("WORKER_SCORER_ADDR", worker)
	const delay = 1500 * time.Millisecond
	t.Setenv("SHUTDOWN_DELAY", delay.String())
	t.Setenv("OTEL_SDK_DISABLED", "true")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		var level slog.LevelVar
		done <- run(ctx, slog.New(slog.DiscardHandler), &level)
	}()
	get := func(url string) (int, error) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	score := func() (int, error) {
		resp, err := http.Post(api+"/v1/score", "application/json", strings.NewReader(`{"id":"a"}`))
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for code, _ := get(opsBase + "/readyz"); code != http.StatusOK; code, _ = get(opsBase + "/readyz") {
		if time.Now().After(deadline) {
			t.Fatal("/readyz never answered 200")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, err := get(api + "/metrics"); separateOps && (err != nil || code != http.StatusNotFound) {
		t.Errorf("GET /metrics on the API's port with OPS_LISTEN_ADDR set: %d, %v; want 404", code, err)
	}

	cancel() // as SIGTERM does, through signal.NotifyContext
	stopped := time.Now()
	if code, err := get(opsBase + "/readyz"); err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("/readyz once told to stop: %d, %v; want 503", code, err)
	}
	if code, err := score(); err != nil || code != http.StatusOK {
		t.Errorf("POST /v1/score %v into the shutdown delay: %d, %v; want 200", time.Since(stopped), code, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run() = %v, want nil", err)
		}
	case <-time.After(delay + 10*time.Second):
		t.Fatal("run did not return after the delay and the drain")
	}
	if took := time.Since(stopped); took < delay {
		t.Errorf("run returned %v after being told to stop, within SHUTDOWN_DELAY %v", took, delay)
	}
	if _, err := score(); err == nil {
		t.Error("the API still accepts after the drain")
	}
	if _, err := get(opsBase + "/healthz"); err == nil {
		t.Error("the ops endpoints still accept after the drain")
	}
}
