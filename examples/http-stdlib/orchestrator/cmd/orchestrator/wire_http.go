// Command orchestrator serves the HTTP API and has the Rust workers do the scoring over gRPC.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"

	"example.com/http-stdlib/orchestrator/internal/config"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
	"example.com/http-stdlib/orchestrator/internal/ops"
	"example.com/http-stdlib/orchestrator/internal/server"
	"example.com/http-stdlib/orchestrator/internal/telemetry"
)

// serve answers the HTTP API until ctx is done (SIGTERM) and requests in flight have drained,
// with the health and metrics endpoints on OPS_LISTEN_ADDR, or on the API's port when unset.
func serve(ctx context.Context, cfg config.Config, ws *workers, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.ListenAddr, err)
	}
	// Readiness fails from the stop on, while the API serves on for SHUTDOWN_DELAY, so
	// balancers that probe it stop sending too.
	ready := func() error {
		if ctx.Err() != nil {
			return errors.New("shutting down")
		}
		return ws.ready()
	}
	opsHandler := ops.NewHandler(telemetry.Handler(), ready, ws.health)
	inFlight := cfg.MaxInFlightBytes
	if inFlight == 0 {
		inFlight = int64(runtime.GOMAXPROCS(0)) * httpapi.DefaultInFlightBytesPerCore
	}
	apiOpts := server.APIOptions(cfg)
	logger.Info("starting", "workers", cfg.Workers, "request_timeout", cfg.RequestTimeout.String(), "max_body_bytes", cfg.MaxBodyBytes, "max_in_flight_bytes", inFlight, "coalesce", cfg.Coalesce, "ops_addr", cfg.OpsListenAddr)
	if cfg.OpsListenAddr == "" {
		api := newAPI(cfg, ws, inFlight, opsHandler, logger)
		return server.Run(ctx, ln, api, apiOpts, logger.With("server", "api"))
	}

	// Routed before the ops server starts: readiness reads which workers are routed.
	api := newAPI(cfg, ws, inFlight, nil, logger)
	opsLn, err := net.Listen("tcp", cfg.OpsListenAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listening on %s: %w", cfg.OpsListenAddr, err)
	}
	// The endpoints outlive ctx until the API has drained, so probes see it stopping and the
	// drain shows on /metrics.
	opsCtx, stopOps := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() {
		served <- server.Run(opsCtx, opsLn, opsHandler, server.OpsOptions(opsStopTimeout), logger.With("server", "ops"))
	}()
	err = server.Run(ctx, ln, api, apiOpts, logger.With("server", "api"))
	stopOps()
	if opsErr := <-served; err == nil {
		err = opsErr
	}
	return err
}

// newAPI routes every worker: each has its own /v1/workers/NAME routes and the primary the
// unnamed ones too, so readiness (workers.ready) needs each of them. opsHandler, if set, is
// served on the API's port too.
func newAPI(cfg config.Config, ws *workers, inFlight int64, opsHandler http.Handler, logger *slog.Logger) http.Handler {
	named := make([]httpapi.NamedWorker, len(cfg.Workers))
	for i, w := range cfg.Workers {
		named[i] = httpapi.NamedWorker{Name: w.Name, Worker: ws.route(i)}
	}
	return httpapi.New(httpapi.Config{Workers: named, MaxBodyBytes: cfg.MaxBodyBytes, MaxInFlightBytes: inFlight, RequestTimeout: cfg.RequestTimeout, Logger: logger, Untraced: !telemetry.Exporting(), Ops: opsHandler})
}
