// Package results stores the worker's verdicts where the rest of the system can read them.
package results

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"

	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
)

// The names of a stored result's fields: the keys of the line Log writes per result and
// the attributes of the DynamoDB sink's items. cmd/verify reads results back by them, so
// they are named once, here.
const (
	FieldID           = "id"
	FieldScore        = "score"
	FieldModelVersion = "model_version"
	FieldReasonCodes  = "reason_codes"
)

// ScoredMsg is the message of the line Log writes per result.
const ScoredMsg = "scored"

// Entry is one result to store, with the request it answers.
type Entry struct {
	Request *scoringv1.ScoreRequest
	Result  *scoringv1.ScoreResponse
}

// Sink stores results. Queues deliver at least once, so the same request can be scored and
// stored twice: Put must be idempotent per id, and the first stored result stands. But an id
// is the caller's promise, not proof: a different request under a stored id is another event,
// which Put must neither drop nor store over the first, but report as a conflict.
type Sink interface {
	// Put stores entries and says what became of each. A nil error means every entry is in
	// one of the PutResult's fields; after an error, the entries in none are not settled (the
	// error says why) and may be put again, while those in a field are settled all the same.
	Put(ctx context.Context, entries []Entry) (PutResult, error)
	// Probe reports whether Put would reach the store now, without storing anything.
	Probe(ctx context.Context) error
}

// PutResult is what Put made of its entries, each named by its index in them.
type PutResult struct {
	// Stored lists the entries this Put stored: the first result for their id.
	Stored []int
	// StoredBefore lists the entries an earlier delivery of the same request had stored: that
	// result stands, and nothing was written.
	StoredBefore []int
	// Conflicts maps each entry whose id is stored already for a different request to a *Conflict.
	Conflicts map[int]error
}

// Conflict is a request whose id is stored already for a different request.
type Conflict struct {
	ID string
	// Stored and Got are the fingerprints of the stored request and of this one.
	Stored, Got string
}

func (c *Conflict) Error() string {
	return fmt.Sprintf("conflict: id %q is already stored for a different request (stored request_sha256 %s, this one %s)", c.ID, c.Stored, c.Got)
}

// Fingerprint is the hex SHA-256 of req's deterministic protobuf encoding: equal for a
// redelivery of the same request, whatever order its JSON listed the features in.
func Fingerprint(req *scoringv1.ScoreRequest) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encoding request %q: %w", req.GetId(), err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

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
