package results

import (
	"context"
	"log/slog"
)

// ScoredMsg is the message of the line Log writes per result.
const ScoredMsg = "scored"

// Log is the sink for deployments that store nothing: each result becomes one log line.
// Having no memory, it cannot tell a redelivery from a conflict, nor from a first delivery:
// every entry it logs counts as Stored.
type Log struct {
	Logger *slog.Logger
}

// Put logs each result.
func (l Log) Put(ctx context.Context, entries []Entry) (PutResult, error) {
	var got PutResult
	for i, e := range entries {
		got.Stored = append(got.Stored, i)
		r := e.Result
		l.Logger.LogAttrs(ctx, slog.LevelInfo, ScoredMsg,
			slog.String(FieldID, r.GetId()),
			slog.Float64(FieldScore, r.GetScore()),
			slog.String(FieldModelVersion, r.GetModelVersion()),
			slog.Any(FieldReasonCodes, r.GetReasonCodes()),
		)
	}
	return got, nil
}

// Probe always succeeds: logging does not fail.
func (Log) Probe(context.Context) error { return nil }
