package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"example.com/sqs-dynamodb/orchestrator/internal/config"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
	"example.com/sqs-dynamodb/orchestrator/internal/results"
	"example.com/sqs-dynamodb/orchestrator/internal/server"
	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
)

// A step of a consumer's shutdown after the drain, before stopping the ops server and the
// trace flush; see traceFlushTimeout.
const (
	// tidyGrace is how long the calls that tidy up after the drain's cut (deletes, visibility
	// or lease releases) may still take.
	tidyGrace = 3 * time.Second
)

// primary is the worker the consumer scores every message with. The others are connected and
// reported on /healthz, and gate readiness only once code of yours routes work to them
// (workers.route).
const primary = 0

// consumer is what the wiring needs of either queue consumer.
type consumer interface {
	Run(ctx context.Context) error
	Running() bool
	WorkerBroken() error
}

// pipe is what both consumers hand each batch to, and what tells them to pause.
type pipe struct {
	proc       *pipeline.Processor
	sinkHealth *pipeline.SinkHealth
	metrics    *ops.Metrics
	// canProcess is false while a batch would fail whole: the worker it calls is known to be
	// down, or the sink is failing. The consumers then leave messages where they are, keeping
	// their receive counts (or shard leases) for real failures.
	canProcess func() bool
}

// newPipe routes the primary worker to the processor; that is the only worker it calls.
func newPipe(cfg config.Config, ws *workers, sink results.Sink, logger *slog.Logger) *pipe {
	scorer := ws.route(primary)
	metrics := &ops.Metrics{}
	// Probes pace themselves up to 5s apart, so consuming resumes within seconds of a recovery.
	sinkHealth := &pipeline.SinkHealth{Probe: sink.Probe, Logger: logger}
	return &pipe{
		proc: &pipeline.Processor{
			Scorer:     scorer,
			Sink:       sink,
			SinkHealth: sinkHealth,
			Metrics:    metrics,
			WorkerName: cfg.Workers[primary].Name,
			Logger:     logger,
		},
		sinkHealth: sinkHealth,
		metrics:    metrics,
		canProcess: func() bool { return scorer.Health() != workerclient.HealthNotServing && sinkHealth.Err() == nil },
	}
}

// runConsumer runs c until ctx is done and in-flight work has drained, with the health and
// metrics endpoints beside it. stuck reports why c cannot make progress though running.
func runConsumer(ctx context.Context, cfg config.Config, ws *workers, p *pipe, c consumer, stuck func() error, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.ListenAddr, err)
	}
	ready := func() error {
		if err := ws.ready(); err != nil {
			return err
		}
		if err := p.sinkHealth.Err(); err != nil {
			return fmt.Errorf("results sink failing: %w", err)
		}
		if !c.Running() {
			// The Kinesis consumer says why it has not joined the stream yet.
			if w, ok := c.(interface{ Waiting() error }); ok && w.Waiting() != nil {
				return fmt.Errorf("consumer is not running: %w", w.Waiting())
			}
			return errors.New("consumer is not running")
		}
		if err := c.WorkerBroken(); err != nil {
			return fmt.Errorf("scoring worker answers no record normally: %w", err)
		}
		return stuck()
	}
	// The endpoints outlive ctx until the consumer has drained, so the drain shows on /metrics.
	opsCtx, stopOps := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() {
		served <- server.Run(opsCtx, ln, ops.NewHandler(telemetry.Handler(p.metrics), ready, ws.health), server.OpsOptions(opsStopTimeout), logger.With("server", "ops"))
	}()
	var logging sync.WaitGroup
	logging.Go(func() { p.metrics.LogEvery(opsCtx, logger, 30*time.Second) })
	logging.Go(func() { p.sinkHealth.Watch(opsCtx) })

	logger.Info("starting", "workers", cfg.Workers, "request_timeout", cfg.RequestTimeout.String(), "coalesce", cfg.Coalesce)
	err = c.Run(ctx)
	stopOps()
	logging.Wait()
	if serveErr := <-served; err == nil {
		err = serveErr
	}
	logger.Info("stopped", "counters", p.metrics)
	return err
}
