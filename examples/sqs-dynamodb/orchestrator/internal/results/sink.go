// Package results stores the worker's verdicts where the rest of the system can read them.
package results

import (
	"context"
	"log/slog"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
)

// Sink stores results. Queues deliver at least once, so the same request can be scored
// and stored twice: Put must be idempotent per id, and the first stored result stands.
// A nil error means every result is stored.
type Sink interface {
	Put(ctx context.Context, results []*scoringv1.ScoreResponse) error
}

// Log is the sink for deployments that store nothing: each result becomes one log line.
type Log struct {
	Logger *slog.Logger
}

// Put logs each result.
func (l Log) Put(ctx context.Context, results []*scoringv1.ScoreResponse) error {
	for _, r := range results {
		l.Logger.LogAttrs(ctx, slog.LevelInfo, "scored",
			slog.String("id", r.GetId()),
			slog.Float64("score", r.GetScore()),
			slog.String("model_version", r.GetModelVersion()),
			slog.Any("reason_codes", r.GetReasonCodes()),
		)
	}
	return nil
}
