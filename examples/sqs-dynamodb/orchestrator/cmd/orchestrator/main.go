package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"example.com/sqs-dynamodb/orchestrator/internal/cmdline"
	"example.com/sqs-dynamodb/orchestrator/internal/config"
	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
)

func main() {
	// First of all, so that SIGTERM at any point of start-up asks for a clean stop (exit 0)
	// instead of killing the process.
	ctx := stopSignals()
	// Bad input before anything is logged or started: one line and exit 2, as every tool under
	// cmd/ refuses it (cmdline), so `orchestrator foo` or a bad setting never starts a server.
	cmdline.Parse("orchestrator", flag.CommandLine, os.Args[1:])
	cfg, err := config.Load(os.Environ())
	if err != nil {
		cmdline.BadInput("orchestrator", err)
	}

	var level slog.LevelVar
	logger := slog.New(telemetry.LogHandler(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: &level})))
	slog.SetDefault(logger)
	logger.Info("runtime", "gogc", tuneGC(os.Getenv), "gomaxprocs", runtime.GOMAXPROCS(0), "gomemlimit", limitMemory(logger))
	workerclient.RouteGRPCLogs(logger)
	if err := run(ctx, cfg, logger, &level); err != nil {
		logger.Error("orchestrator failed", "error", err)
		os.Exit(1)
	}
}

// stopSignals returns a context done at the first SIGTERM or SIGINT, which starts the graceful
// drain. The signals after it follow one rule, the Rust worker's too (worker-kit's run.rs) and
// the README's: a later SIGINT, someone pressing Ctrl-C again, exits at once with
// interruptedExit, work in flight dropped, whatever the first signal was; a later SIGTERM changes
// nothing. Supervisors (Kubernetes, docker, systemd, make run) send SIGTERM to ask for a graceful
// stop and SIGKILL when they want it now, so a repeated SIGTERM, or one after Ctrl-C, is the
// same request, and no time window tells the two apart.
func stopSignals() context.Context {
	// Both stay Notify'd for the process's life, so neither gets its default action back:
	// SIGTERM's would kill the drain, and SIGINT's is to stay ignored in a process started with
	// it ignored (a non-interactive shell's background job), which made a second Ctrl-C do
	// nothing. Never signal.Stop or signal.Ignore either: the runtime clears its interest in a
	// signal before it installs the new action, and a SIGTERM handled in between killed the
	// process (1 run in 30 of the signal tests under -race).
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		slog.Info("stop signal received", "signal", signalName(<-signals))
		stop()
		for sig := range signals {
			if sig == os.Interrupt {
				slog.Warn("SIGINT again: exiting now, work in flight is dropped")
				os.Exit(interruptedExit)
			}
			slog.Info("SIGTERM again: the same request to stop; still draining")
		}
	}()
	return ctx
}

// interruptedExit is the status of a stop cut short by a second SIGINT: 128 + SIGINT's number,
// what a shell reports for a process SIGINT killed, and what the worker exits with.
const interruptedExit = 128 + 2

func signalName(sig os.Signal) string {
	if sig == os.Interrupt {
		return "SIGINT"
	}
	return "SIGTERM"
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
func run(ctx context.Context, cfg config.Config, logger *slog.Logger, level *slog.LevelVar) (err error) {
	defer func() {
		if err != nil && stoppedEarly(ctx, err) {
			logger.Info("told to stop, which cut a call short: no failure", "cut_short", err.Error())
			err = nil
		}
	}()
	level.Set(cfg.LogLevel)
	for _, f := range cfg.Foreign {
		logger.Warn("ignoring a setting of another ingress: this orchestrator's ingress is sqs", "variable", f.Name, "read_by_ingress", f.Ingress)
	}
	for _, u := range cfg.Unknown {
		logger.Warn("ignoring an environment variable that is not a setting (a typo?)", "variable", u.Name, "closest_setting", u.Closest)
	}
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
	// Stopped only after serve has drained: see watch.
	stopWatching := ws.watch()
	defer stopWatching()
	return serve(ctx, cfg, ws, logger)
}
