// Package validation checks requests against the limits the scoring worker enforces,
// so that bad input is rejected with a 400 before it costs a gRPC round trip.
// Limits and messages mirror the worker's validate.rs word for word, so a client sees
// the same error whichever side caught it; change both together, and scoring.proto's comments.
package validation

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"unicode/utf8"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
)

// Limits from scoring.proto.
const (
	MaxIDLength            = 128
	MaxNumericFeatures     = 64
	MaxCategoricalFeatures = 64
	MaxBatchSize           = 1000
)

// ScoreBatchRequest reports the first problem with req or any of its requests.
func ScoreBatchRequest(req *scoringv1.ScoreBatchRequest) error {
	n := len(req.GetRequests())
	if n < 1 || n > MaxBatchSize {
		return fmt.Errorf("requests must hold 1 to %d requests, got %d", MaxBatchSize, n)
	}
	for i, r := range req.GetRequests() {
		if err := ScoreRequest(r); err != nil {
			return fmt.Errorf("requests[%d]: %w", i, err)
		}
	}
	return nil
}

// ScoreRequest reports the first problem with req, naming the offending field.
func ScoreRequest(req *scoringv1.ScoreRequest) error {
	// Characters (code points), not bytes, as the worker counts them;
	// protojson has already rejected invalid UTF-8.
	if n := utf8.RuneCountInString(req.GetId()); n < 1 || n > MaxIDLength {
		return fmt.Errorf("id must be 1 to %d characters, got %d", MaxIDLength, n)
	}
	numeric := req.GetNumericFeatures()
	if n := len(numeric); n > MaxNumericFeatures {
		return fmt.Errorf("numeric_features has %d entries, at most %d are allowed", n, MaxNumericFeatures)
	}
	if n := len(req.GetCategoricalFeatures()); n > MaxCategoricalFeatures {
		return fmt.Errorf("categorical_features has %d entries, at most %d are allowed", n, MaxCategoricalFeatures)
	}
	// protojson accepts "NaN" and "Infinity" for doubles, so finiteness is checked here.
	// The smallest offending name is reported, so the message does not depend on map order.
	for _, k := range slices.Sorted(maps.Keys(numeric)) {
		if v := numeric[k]; math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("numeric_features[%q] must be a finite number, got %s", k, rustFloat(v))
		}
	}
	return nil
}

// rustFloat spells non-finite values the way the worker's messages do.
func rustFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	default:
		return "NaN"
	}
}
