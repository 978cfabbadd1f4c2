// Command orchestrator serves the HTTP API and has the Rust workers do the scoring over gRPC.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"

	"example.com/http-stdlib/orchestrator/internal/config"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
	"example.com/http-stdlib/orchestrator/internal/server"
	"example.com/http-stdlib/orchestrator/internal/telemetry"
)

// serve answers the HTTP API until ctx is done (SIGTERM) and requests in flight have drained.
func serve(ctx context.Context, cfg config.Config, ws *workers, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.ListenAddr, err)
	}
	inFlight := cfg.MaxInFlightBytes
	if inFlight == 0 {
		inFlight = int64(runtime.GOMAXPROCS(0)) * httpapi.DefaultInFlightBytesPerCore
	}
	api := newAPI(cfg, ws, inFlight, logger)
	logger.Info("starting", "workers", cfg.Workers, "request_timeout", cfg.RequestTimeout.String(), "max_body_bytes", cfg.MaxBodyBytes, "max_in_flight_bytes", inFlight, "coalesce", cfg.Coalesce)
	return server.Run(ctx, ln, api, server.Options{
		// The whole request: reading the body (the server's 10s ReadTimeout), decoding and
		// checking it (seconds for a body near the contract's ceiling, more under load), the
		// worker call, then writing the answer; past it the client gets a dropped connection
		// instead of the 504, so it is generous.
		WriteTimeout:    cfg.RequestTimeout + 20*time.Second,
		ShutdownTimeout: cfg.ShutdownTimeout,
	}, logger)
}

// newAPI routes every worker: each has its own /v1/workers/NAME routes and the primary the
// unnamed ones too, so the API's /readyz, which follows its route table, needs each of them.
func newAPI(cfg config.Config, ws *workers, inFlight int64, logger *slog.Logger) http.Handler {
	named := make([]httpapi.NamedWorker, len(cfg.Workers))
	for i, w := range cfg.Workers {
		named[i] = httpapi.NamedWorker{Name: w.Name, Worker: ws.route(i)}
	}
	return httpapi.New(httpapi.Config{Workers: named, MaxBodyBytes: cfg.MaxBodyBytes, MaxInFlightBytes: inFlight, Logger: logger, Untraced: !telemetry.Exporting()})
}
