// Command gateway is the benchmark's baseline, not a product path: a grpc-gateway reverse
// proxy generated from the same contract (gen/go/scoring/v1/scoring.pb.gw.go; its routes
// in routes.yaml) that serves the orchestrator's POST /v1/score and /v1/score/batch and
// forwards them to the primary worker. `make bench` runs it beside the orchestrator and
// compares the CPU each spends per request (README "Benchmarks"). It has none of the
// orchestrator's validation, limits, coalescing, metrics or tracing: it is the
// off-the-shelf floor for this layer, what the orchestrator's extra work is weighed against.
// Only its server is the API's (serve), so that neither side is weighed with a bound the
// other lacks.
//
//	LISTEN_ADDR=127.0.0.1:8081 WORKER_SCORER_ADDR=127.0.0.1:50051 gateway
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/cmdline"
	"example.com/http-stdlib/orchestrator/internal/config"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
	"example.com/http-stdlib/orchestrator/internal/server"
)

func main() {
	// Bad input is one line and exit 2, as every tool under cmd/ refuses it (cmdline); only a
	// failure once the settings are good (a port in use) exits 1.
	cmdline.Parse("gateway", flag.CommandLine, os.Args[1:])
	s, err := loadSettings(os.Getenv, os.Environ())
	if err != nil {
		cmdline.BadInput("gateway", err)
	}
	if err := run(s); err != nil {
		slog.Error("gateway failed", "error", err)
		os.Exit(1)
	}
}

// settings is what the gateway reads from its environment: where it listens, its one worker,
// and the orchestrator's own settings that bound its server.
type settings struct {
	listen, worker string
	cfg            config.Config
}

// loadSettings reads and checks the settings, every problem a setting's fault (bad input).
func loadSettings(getenv func(string) string, environ []string) (settings, error) {
	s := settings{listen: getenv("LISTEN_ADDR"), worker: getenv("WORKER_SCORER_ADDR")}
	if s.listen == "" || s.worker == "" {
		return s, errors.New("LISTEN_ADDR and WORKER_SCORER_ADDR must be set")
	}
	// One address (host:port or unix:///path): a baseline needs no replica list.
	if strings.Contains(s.worker, ",") {
		return s, fmt.Errorf("WORKER_SCORER_ADDR=%q: the gateway takes one address, not a list", s.worker)
	}
	// The orchestrator's own settings (REQUEST_TIMEOUT, MAX_BODY_BYTES, SHUTDOWN_DELAY,
	// SHUTDOWN_TIMEOUT) bound this server as they bound the API's, so the bench weighs the two
	// under the same limits.
	var err error
	s.cfg, err = config.Load(environ)
	return s, err
}

func run(s settings) error {
	conn, err := grpc.NewClient(s.worker, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("WORKER_SCORER_ADDR=%q: %w", s.worker, err)
	}
	defer conn.Close()
	handler, err := newHandler(conn)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.listen, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.Info("forwarding", "worker", s.worker)
	return serve(ctx, ln, handler, s.cfg, slog.Default())
}

// serve answers h's routes on ln until ctx is done and requests in flight have drained, under
// the API's server bounds (server.APIOptions) and body pacing (httpapi.Paced): slow headers,
// a stalled body, a slow answer and an idle keep-alive connection are each cut off as the
// orchestrator's server cuts them.
func serve(ctx context.Context, ln net.Listener, h http.Handler, cfg config.Config, logger *slog.Logger) error {
	return server.Run(ctx, ln, httpapi.Paced(cfg.MaxBodyBytes, cfg.RequestTimeout, h), server.APIOptions(cfg), logger)
}

// newHandler is the generated routes on grpc-gateway's mux, plus GET /readyz answered by the
// worker's gRPC health check, the path the orchestrator is polled on as well.
func newHandler(conn *grpc.ClientConn) (http.Handler, error) {
	mux := runtime.NewServeMux(runtime.WithHealthEndpointAt(healthpb.NewHealthClient(conn), "/readyz"))
	if err := scoringv1.RegisterScoringServiceHandler(context.Background(), mux, conn); err != nil {
		return nil, err
	}
	return mux, nil
}
