// Command orchestrator serves the HTTP API and has the Rust worker do the scoring over gRPC.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"example.com/http-stdlib/orchestrator/internal/config"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
	"example.com/http-stdlib/orchestrator/internal/server"
	"example.com/http-stdlib/orchestrator/internal/telemetry"
	"example.com/http-stdlib/orchestrator/internal/workerclient"
)

func main() {
	// First of all, so that SIGTERM at any point of start-up asks for a clean stop (exit 0)
	// instead of killing the process.
	ctx, stop := stopSignals()
	defer stop()

	var level slog.LevelVar
	logger := slog.New(telemetry.LogHandler(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: &level})))
	slog.SetDefault(logger)
	logger.Info("runtime", "gogc", tuneGC(os.Getenv), "gomaxprocs", runtime.GOMAXPROCS(0), "gomemlimit", limitMemory(logger))
	workerclient.RouteGRPCLogs(logger)
	if err := run(ctx, logger, &level); err != nil {
		logger.Error("orchestrator failed", "error", err)
		stop()
		os.Exit(1)
	}
}

// stopSignals returns a context done at the first SIGTERM or Ctrl-C (SIGINT). After it, a
// second Ctrl-C kills the process the default way, for when a drain hangs and someone at a
// terminal wants out; a second SIGTERM changes nothing: the terminal's signal and then the
// one make run (or a supervisor) sends its process are one request to stop, not two.
func stopSignals() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, func() {
		signal.Ignore(syscall.SIGTERM) // first: from here on SIGTERM is never the default action
		stop()                         // restores SIGINT's default action
	})
	return ctx, stop
}

// stoppedEarly reports whether err is only what being told to stop (ctx done) cut short: a
// call still waiting at start-up (an AWS endpoint that does not answer, say) ends with
// context.Canceled. A service told to stop has not failed, so run returns nil for it.
func stoppedEarly(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// traceFlushTimeout bounds sending the spans still buffered at exit. Whatever stops the
// orchestrator waits 17s before SIGKILL: the default SHUTDOWN_TIMEOUT, then the steps after
// the drain, each bounded (this flush is the last), and a second to exit.
const traceFlushTimeout = 2 * time.Second

// run runs the orchestrator until ctx is done (SIGTERM) and its work has drained.
func run(ctx context.Context, logger *slog.Logger, level *slog.LevelVar) (err error) {
	defer func() {
		if err != nil && stoppedEarly(ctx, err) {
			logger.Info("told to stop, which cut a call short: no failure", "cut_short", err.Error())
			err = nil
		}
	}()
	cfg, err := config.Load(os.Environ())
	if err != nil {
		return err
	}
	level.Set(cfg.LogLevel)
	flushTraces, err := telemetry.Setup(context.Background(), "orchestrator", logger)
	if err != nil {
		return err
	}
	// Deferred first, so it runs last: after the drain, within the stop grace's margin over it.
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), traceFlushTimeout)
		defer cancel()
		if err := flushTraces(ctx); err != nil {
			logger.Warn("flushing traces", "error", err)
		}
	}()

	// One client per worker, in the manifest's order: workers[0] is the primary.
	workers := make([]*workerclient.Client, 0, len(cfg.Workers))
	// Deferred before anything that uses them, so they close last: requests still draining need them.
	defer func() {
		for _, c := range workers {
			c.Close()
		}
	}()
	for _, w := range cfg.Workers {
		c, err := workerclient.New(w.Addrs, workerclient.Options{CallTimeout: cfg.RequestTimeout, Logger: logger.With("worker", w.Name), Name: w.Name, Untraced: !telemetry.Exporting()})
		if err != nil {
			return fmt.Errorf("worker %s: %w", w.Name, err)
		}
		workers = append(workers, c)
	}
	// Concurrent single requests for a busy worker share its calls (COALESCE); closed before
	// the clients, once what they queued has been answered.
	scorers := make([]*workerclient.Coalescer, len(workers))
	for i, c := range workers {
		scorers[i] = workerclient.NewCoalescer(c, workerclient.CoalesceOptions{Off: !cfg.Coalesce, CallTimeout: cfg.RequestTimeout, Name: cfg.Workers[i].Name})
	}
	defer func() {
		for _, s := range scorers {
			s.Close()
		}
	}()
	watchCtx, stopWatching := context.WithCancel(ctx)
	var watcher sync.WaitGroup
	for _, c := range workers {
		watcher.Go(func() { c.WatchHealth(watchCtx) })
	}
	defer func() {
		stopWatching()
		watcher.Wait()
	}()

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.ListenAddr, err)
	}
	named := make([]httpapi.NamedWorker, len(workers))
	for i, s := range scorers {
		named[i] = httpapi.NamedWorker{Name: cfg.Workers[i].Name, Worker: s}
	}
	inFlight := cfg.MaxInFlightBytes
	if inFlight == 0 {
		inFlight = int64(runtime.GOMAXPROCS(0)) * httpapi.DefaultInFlightBytesPerCore
	}
	api := httpapi.New(httpapi.Config{Workers: named, MaxBodyBytes: cfg.MaxBodyBytes, MaxInFlightBytes: inFlight, Logger: logger, Untraced: !telemetry.Exporting()})
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
