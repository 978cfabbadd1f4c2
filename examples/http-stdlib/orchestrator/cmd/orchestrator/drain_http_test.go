package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
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

// scoringWorker serves the scoring and health services on loopback, SERVING, and returns its
// address and the health server that sets that status (setHealth).
func scoringWorker(t *testing.T) (string, *health.Server) {
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
	return lis.Addr().String(), hs
}

// freeAddrs are n distinct loopback addresses that were free a moment ago: held open
// together until all are known, since a port closed at once may be the next one handed out.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs[i] = ln.Addr().String()
	}
	return addrs
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

// drainWatch is run's log handler: it marks the end of the API's SHUTDOWN_DELAY, which
// server.Run logs as "shutting down" just before it closes the listener, and signals on
// changed each step towards readiness, logged once taken: a listener bound, a worker's
// health learned.
type drainWatch struct {
	once    sync.Once
	ended   chan struct{}
	changed logSignal
}

func newDrainWatch() *drainWatch {
	return &drainWatch{ended: make(chan struct{}), changed: onLog(func(r slog.Record) bool {
		return r.Message == "listening" || r.Message == "worker health changed"
	})}
}

func (w *drainWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *drainWatch) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *drainWatch) WithGroup(string) slog.Handler            { return w }

func (w *drainWatch) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "shutting down" { // the API's; the ops server's comes after its drain
		w.once.Do(func() { close(w.ended) })
	}
	return w.changed.Handle(ctx, r)
}

func (w *drainWatch) over() bool {
	select {
	case <-w.ended:
		return true
	default:
	}
	return false
}

// testStopServesThroughShutdownDelay runs the orchestrator over real sockets, so the delay
// is real time and a loaded machine may send the probes after it. Only a probe that failed
// while the delay was still running says the API stopped too soon; one that failed after it
// proves nothing, and the run is repeated with a longer delay.
func testStopServesThroughShutdownDelay(t *testing.T, separateOps bool) {
	worker, _ := scoringWorker(t)
	for _, delay := range []time.Duration{1500 * time.Millisecond, 6 * time.Second, 24 * time.Second} {
		if stopAndProbe(t, worker, separateOps, delay) || t.Failed() {
			return
		}
		t.Logf("the probes came after the %v SHUTDOWN_DELAY had ended; again with a longer one", delay)
	}
	t.Fatal("the machine is too loaded: no run probed the API within its SHUTDOWN_DELAY")
}

// stopAndProbe stops run and probes it during delay, reporting whether the probes came in
// time to say anything.
func stopAndProbe(t *testing.T, worker string, separateOps bool, delay time.Duration) (probed bool) {
	addrs := freeAddrs(t, 2)
	addr := addrs[0]
	t.Setenv("LISTEN_ADDR", addr)
	api, opsBase := "http://"+addr, "http://"+addr
	if separateOps {
		opsAddr := addrs[1]
		t.Setenv("OPS_LISTEN_ADDR", opsAddr)
		opsBase = "http://" + opsAddr
	}
	t.Setenv("WORKER_SCORER_ADDR", worker)
	t.Setenv("SHUTDOWN_DELAY", delay.String())
	t.Setenv("OTEL_SDK_DISABLED", "true")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch := newDrainWatch()
	cfg := loadConfig(t)
	done := make(chan error, 1)
	go func() {
		var level slog.LevelVar
		done <- run(ctx, cfg, slog.New(watch), &level)
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
	// Asked again at each step towards readiness rather than polled, so a loaded machine
	// neither waits out a poll interval nor runs out a deadline.
	ceiling := time.NewTimer(realCeiling)
	defer ceiling.Stop()
	for code, _ := get(opsBase + "/readyz"); code != http.StatusOK; code, _ = get(opsBase + "/readyz") {
		select {
		case <-watch.changed.ch:
		case err := <-done:
			t.Fatalf("run() = %v before /readyz answered 200", err)
		case <-ceiling.C:
			t.Fatalf("/readyz never answered 200 within %v", realCeiling)
		}
	}
	if code, err := get(api + "/metrics"); separateOps && (err != nil || code != http.StatusNotFound) {
		t.Errorf("GET /metrics on the API's port with OPS_LISTEN_ADDR set: %d, %v; want 404", code, err)
	}

	cancel() // as SIGTERM does, through signal.NotifyContext
	stopped := time.Now()
	probed = true
	if code, err := get(opsBase + "/readyz"); err != nil || code != http.StatusServiceUnavailable {
		// With separate ops, /readyz outlives the delay, so only the API's answers can be late.
		if err != nil && watch.over() && !separateOps {
			probed = false
		} else {
			t.Errorf("/readyz once told to stop: %d, %v; want 503", code, err)
		}
	}
	if code, err := score(); err != nil || code != http.StatusOK {
		if err != nil && watch.over() {
			probed = false
		} else {
			t.Errorf("POST /v1/score during the shutdown delay: %d, %v; want 200", code, err)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run() = %v, want nil", err)
		}
	case <-time.After(delay + realCeiling):
		t.Fatal("run did not return after the delay and the drain")
	}
	// A lower bound, which load only makes later, so it holds on any machine.
	if took := time.Since(stopped); took < delay {
		t.Errorf("run returned %v after being told to stop, within SHUTDOWN_DELAY %v", took, delay)
	}
	if _, err := score(); err == nil {
		t.Error("the API still accepts after the drain")
	}
	if _, err := get(opsBase + "/healthz"); err == nil {
		t.Error("the ops endpoints still accept after the drain")
	}
	return probed
}

// Through SHUTDOWN_DELAY the API still takes requests, and gates each on its worker's health:
// that health must go on following the worker after the stop signal. A worker that was down
// when the signal came and is back within the delay is scored on again, not answered 503
// for the rest of the delay.
func TestWorkerHealthFollowedThroughShutdownDelay(t *testing.T) {
	worker, hs := scoringWorker(t)
	addr := freeAddrs(t, 1)[0]
	t.Setenv("LISTEN_ADDR", addr)
	t.Setenv("WORKER_SCORER_ADDR", worker)
	// Long enough for a worker's health to reach the client many times over, even when loaded.
	t.Setenv("SHUTDOWN_DELAY", "5s")
	t.Setenv("OTEL_SDK_DISABLED", "true")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch := newDrainWatch()
	cfg := loadConfig(t)
	done := make(chan error, 1)
	go func() {
		var level slog.LevelVar
		done <- run(ctx, cfg, slog.New(watch), &level)
	}()
	score := func() int {
		resp, err := http.Post("http://"+addr+"/v1/score", "application/json", strings.NewReader(`{"id":"a"}`))
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// awaitScore waits for want, asking again at each health change, or fails the test.
	awaitScore := func(want int, what string) {
		ceiling := time.NewTimer(realCeiling)
		defer ceiling.Stop()
		for code := score(); code != want; code = score() {
			select {
			case <-watch.changed.ch:
			case <-time.After(50 * time.Millisecond): // listening and a health change race the log
			case <-ceiling.C:
				t.Fatalf("%s: POST /v1/score answered %d, want %d", what, code, want)
			}
		}
	}
	awaitScore(http.StatusOK, "worker serving")
	setHealth(hs, false)
	awaitScore(http.StatusServiceUnavailable, "worker not serving")

	cancel() // as SIGTERM does
	setHealth(hs, true)
	for code := score(); code != http.StatusOK; code = score() {
		if watch.over() {
			t.Fatal("POST /v1/score never answered 200 through SHUTDOWN_DELAY with the worker back serving")
		}
		if code != http.StatusServiceUnavailable {
			t.Fatalf("POST /v1/score during SHUTDOWN_DELAY answered %d; want 503, then 200 once the worker is back", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Errorf("run() = %v, want nil", err)
	}
}
