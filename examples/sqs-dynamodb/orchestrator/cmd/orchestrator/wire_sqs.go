// Command orchestrator takes scoring requests off an SQS queue, has the primary Rust worker
// score them over gRPC and stores the results.
package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/config"
	"example.com/sqs-dynamodb/orchestrator/internal/sqsconsumer"
)

// serve consumes the queue until ctx is done (SIGTERM) and in-flight messages have drained.
func serve(ctx context.Context, cfg config.Config, ws *workers, logger *slog.Logger) error {
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
	sink := newSink(awsenv.Bounded(awsCfg, sqsconsumer.SinkAttemptTimeout(queueCfg)), cfg, logger)
	p := newPipe(cfg, ws, sink, logger)
	queueCfg.Ready = p.canProcess
	queueCfg.Metrics = p.metrics
	sc := sqsconsumer.New(sqs.NewFromConfig(awsCfg), p.proc, queueCfg)
	return runConsumer(ctx, cfg, ws, p, sc, func() error {
		if err := sc.Stalled(); err != nil {
			return fmt.Errorf("queue calls failing: %w", err)
		}
		return nil
	}, logger)
}
