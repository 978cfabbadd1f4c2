// Command orchestrator takes scoring requests off an SQS queue, has the Rust worker score
// them over gRPC and stores the results.
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

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/config"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
	"example.com/sqs-dynamodb/orchestrator/internal/results"
	"example.com/sqs-dynamodb/orchestrator/internal/server"
	"example.com/sqs-dynamodb/orchestrator/internal/sqsconsumer"
	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
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

	return consume(ctx, cfg, workers, scorers[0], logger)
}

// The steps of a consumer's shutdown after the drain, before the trace flush; see traceFlushTimeout.
const (
	// tidyGrace is how long the calls that tidy up after the drain's cut (deletes, visibility
	// or lease releases) may still take.
	tidyGrace = 3 * time.Second
	// opsStopTimeout bounds stopping the health and metrics server: a probe or scrape in flight
	// takes milliseconds.
	opsStopTimeout = 1 * time.Second
)

// consumer is what main needs of either queue consumer.
type consumer interface {
	Run(ctx context.Context) error
	Running() bool
}

// consume runs the consumer until ctx is done and in-flight work has drained, with the health
// and metrics endpoints beside it. The primary (first) worker scores every message, through
// scorer (its Coalescer); the others
// are connected and gate readiness, ready for the team's own routing to call them.
func consume(ctx context.Context, cfg config.Config, workers []*workerclient.Client, scorer *workerclient.Coalescer, logger *slog.Logger) error {
	queueCfg := sqsconsumer.Config{
		QueueName:         cfg.QueueName,
		Concurrency:       cfg.Concurrency,
		VisibilityTimeout: cfg.VisibilityTimeout,
		ShutdownTimeout:   cfg.ShutdownTimeout,
		TidyGrace:         tidyGrace,
		Logger:            logger,
	}
	// Every AWS call, and each of its attempts, is bounded by the consumer's figures
	// (sqsconsumer's deadline.go), so an endpoint that stops answering fails calls rather
	// than hanging them: the queue's bound fits a receive's long poll.
	awsCfg, err := awsenv.Load(ctx, sqsconsumer.QueueAttemptTimeout(queueCfg))
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(awsenv.Bounded(awsCfg, sqsconsumer.SinkAttemptTimeout(queueCfg)))
	metrics := &ops.Metrics{}
	telemetry.Registry.MustRegister(metrics)
	var sink results.Sink = results.NewDynamoDB(db, cfg.ResultsTable)
	// Probes pace themselves up to 5s apart, so consuming resumes within seconds of a recovery.
	sinkHealth := &pipeline.SinkHealth{Probe: sink.Probe, Logger: logger}
	proc := &pipeline.Processor{
		Scorer:     scorer,
		Sink:       sink,
		SinkHealth: sinkHealth,
		Metrics:    metrics,
		WorkerName: cfg.Workers[0].Name,
		Logger:     logger,
	}
	sinkReady := func() bool { return sinkHealth.Err() == nil }
	// While the worker is known to be down, or the sink is failing, every message would fail;
	// leaving them on the queue keeps their receive counts for real failures.
	queueCfg.Ready = func() bool { return scorer.Health() != workerclient.HealthNotServing && sinkReady() }
	queueCfg.Metrics = metrics
	sc := sqsconsumer.New(sqs.NewFromConfig(awsCfg), proc, queueCfg)
	var c consumer = sc

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.ListenAddr, err)
	}
	ready := func() error {
		for i, w := range workers {
			if h := w.Health(); h != workerclient.HealthServing {
				return fmt.Errorf("scoring worker %s health is %s", cfg.Workers[i].Name, h)
			}
		}
		if err := sinkHealth.Err(); err != nil {
			return fmt.Errorf("results sink failing: %w", err)
		}
		if !c.Running() {
			return errors.New("consumer is not running")
		}
		if err := sc.Unreachable(); err != nil {
			return fmt.Errorf("queue cannot be reached: %w", err)
		}
		return nil
	}
	// The endpoints outlive ctx until the consumer has drained, so the drain shows on /metrics.
	opsCtx, stopOps := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() {
		served <- server.Run(opsCtx, ln, ops.NewHandler(telemetry.Handler(), ready), server.Options{WriteTimeout: 10 * time.Second, ShutdownTimeout: opsStopTimeout}, logger)
	}()
	var logging sync.WaitGroup
	logging.Go(func() { metrics.LogEvery(opsCtx, logger, 30*time.Second) })
	logging.Go(func() { sinkHealth.Watch(opsCtx) })

	logger.Info("starting", "workers", cfg.Workers, "request_timeout", cfg.RequestTimeout.String(), "coalesce", cfg.Coalesce)
	err = c.Run(ctx)
	stopOps()
	logging.Wait()
	if serveErr := <-served; err == nil {
		err = serveErr
	}
	logger.Info("stopped", "counters", metrics)
	return err
}
