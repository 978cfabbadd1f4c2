// Command orchestrator reads scoring requests from a Kinesis stream, has the primary Rust
// worker score them over gRPC and stores the results.
package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"example.com/kinesis-dynamodb/orchestrator/internal/awsenv"
	"example.com/kinesis-dynamodb/orchestrator/internal/config"
	"example.com/kinesis-dynamodb/orchestrator/internal/kinesisconsumer"
)

// serve consumes the stream until ctx is done (SIGTERM) and in-flight batches have drained.
func serve(ctx context.Context, cfg config.Config, ws *workers, logger *slog.Logger) error {
	// Every attempt of every AWS call, the results sink's included, is bounded by the figure
	// the consumer's own deadlines use: a table or stream that stops answering fails calls
	// rather than hanging a shard's batch.
	awsCfg, err := awsenv.Load(ctx, kinesisconsumer.CallTimeout(cfg.LeaseDuration))
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(awsCfg)
	p := newPipe(cfg, ws, newSink(awsCfg, cfg, logger), logger)
	leases := func(epoch int64) kinesisconsumer.Leases {
		return kinesisconsumer.NewDynamoDBLeases(db, cfg.LeaseTable, cfg.StreamName, epoch, cfg.LeaseDuration, logger)
	}
	deadLetters := kinesisconsumer.NewDynamoDBDeadLetters(db, cfg.DeadLetterTable, cfg.StreamName, cfg.DeadLetterRetention)
	kc := kinesisconsumer.New(kinesis.NewFromConfig(awsCfg), leases, deadLetters, p.proc, kinesisconsumer.Config{
		StreamName:      cfg.StreamName,
		LeaseDuration:   cfg.LeaseDuration,
		MaxAttempts:     cfg.MaxAttempts,
		InitialPosition: cfg.InitialPosition,
		ShutdownTimeout: cfg.ShutdownTimeout,
		TidyGrace:       tidyGrace,
		// While a batch would fail whole, the shards pause with their leases kept, rather
		// than release and retake them.
		Ready:   p.canProcess,
		Metrics: p.metrics,
		Logger:  logger,
	})
	return runConsumer(ctx, cfg, ws, p, kc, func() error {
		if err := kc.Stalled(); err != nil {
			return fmt.Errorf("consumer stalled: %w", err)
		}
		return nil
	}, logger)
}
