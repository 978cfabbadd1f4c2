package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"example.com/kinesis-dynamodb/orchestrator/internal/config"
	"example.com/kinesis-dynamodb/orchestrator/internal/telemetry"
	"example.com/kinesis-dynamodb/orchestrator/internal/workerclient"
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
	// Wanted for the process's life, so SIGTERM never gets its default action (exit) while
	// the drain runs. Not signal.Ignore once the first signal is in: the runtime clears its
	// interest in a signal before it marks it ignored, and a SIGTERM handled in between
	// killed the process (1 run in 30 of main_test's second-signal test under -race).
	held := make(chan os.Signal, 1)
	signal.Notify(held, syscall.SIGTERM)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // restores SIGINT's default action
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
// the drain, each bounded (this flush is the last), and a second to exit; a SHUTDOWN_DELAY
// before the drain (the HTTP API's, in Kubernetes) is added to the pod's grace too.
const traceFlushTimeout = 2 * time.Second

// opsStopTimeout bounds stopping the health and metrics server, after the drain: a probe or
// scrape in flight takes milliseconds.
const opsStopTimeout = 1 * time.Second

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

	ws, err := dialWorkers(cfg, logger)
	if err != nil {
		return err
	}
	// Deferred before anything that uses them, so they close last: work still draining needs them.
	defer ws.close()
	stopWatching := ws.watch(ctx)
	defer stopWatching()
	return serve(ctx, cfg, ws, logger)
}
