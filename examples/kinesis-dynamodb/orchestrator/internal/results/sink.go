// Package results stores the worker's verdicts where the rest of the system can read them.
package results

import (
	"context"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

// The names of a stored result's fields, whichever sink stores it: the keys of a logged
// result's line, the attributes of a DynamoDB item. cmd/verify reads results back by them, so
// they are named once, here.
const (
	FieldID           = "id"
	FieldScore        = "score"
	FieldModelVersion = "model_version"
	FieldReasonCodes  = "reason_codes"
)

// Entry is one result to store, with the request it answers.
type Entry struct {
	Request *scoringv1.ScoreRequest
	Result  *scoringv1.ScoreResponse
	// WriteID names this write of the entry, as no other write of the same id is named: a sink
	// that finds the id stored already and WriteID on it knows the stored result is this
	// write's own, applied by an earlier try whose answer was lost, and reports it Stored.
	// Empty names nothing. The pipeline sets it (see its writeIDs).
	WriteID string
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
	// Stored lists the entries this Put stored: the first result for their id, written by this
	// Put or by an earlier try of the same write (its WriteID) whose answer was lost.
	Stored []int
	// StoredBefore lists the entries an earlier delivery of the same request had stored: that
	// result stands, and nothing was written.
	StoredBefore []int
	// Conflicts maps each entry whose id is stored already for a different request to its reason
	// (the DynamoDB sink's *Conflict); the pipeline reports it as a pipeline.ErrConflict.
	Conflicts map[int]error
}
