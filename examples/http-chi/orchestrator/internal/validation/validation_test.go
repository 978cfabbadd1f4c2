package validation_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/validation"
)

// name returns the i-th of distinct names of n characters, in ASCII or, wide, in 4-byte
// characters only (UTF-8's longest).
func name(i, n int, wide bool) string {
	if wide {
		return string(rune(0x10000+i)) + strings.Repeat("😀", n-1)
	}
	return fmt.Sprintf("%04d", i) + strings.Repeat("x", n-4)
}

func numeric(n int) map[string]float64 {
	m := make(map[string]float64, n)
	for i := range n {
		m[name(i, 8, false)] = float64(i)
	}
	return m
}

func categorical(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[name(i, 8, false)] = "v"
	}
	return m
}

func TestScoreRequest(t *testing.T) {
	tests := []struct {
		name    string
		req     *scoringv1.ScoreRequest
		wantErr string // the whole message; "" means valid
	}{
		{name: "minimal", req: &scoringv1.ScoreRequest{Id: "a"}},
		{name: "id of 128 characters", req: &scoringv1.ScoreRequest{Id: strings.Repeat("x", 128)}},
		{name: "id of 128 multibyte characters", req: &scoringv1.ScoreRequest{Id: strings.Repeat("é", 128)}},
		{name: "full feature maps", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: numeric(64), CategoricalFeatures: categorical(64)}},
		{name: "longest names and values", req: &scoringv1.ScoreRequest{Id: "a",
			NumericFeatures:     map[string]float64{name(0, 32, true): 1},
			CategoricalFeatures: map[string]string{name(0, 32, true): strings.Repeat("😀", 64)}}},
		{name: "extreme but finite", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"max": math.MaxFloat64, "neg": -math.MaxFloat64}}},
		{name: "empty id", req: &scoringv1.ScoreRequest{}, wantErr: "id: must not be empty"},
		{name: "id of 129 characters", req: &scoringv1.ScoreRequest{Id: strings.Repeat("x", 129)}, wantErr: "id: must be at most 128 characters"},
		{name: "65 numeric features", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: numeric(65)}, wantErr: "numeric_features: must have at most 64 entries"},
		{name: "65 categorical features", req: &scoringv1.ScoreRequest{Id: "a", CategoricalFeatures: categorical(65)}, wantErr: "categorical_features: must have at most 64 entries"},
		{name: "NaN", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"amount": math.NaN()}}, wantErr: `numeric_features["amount"]: must be a finite number`},
		{name: "+Inf", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"amount": math.Inf(1)}}, wantErr: `numeric_features["amount"]: must be a finite number`},
		{name: "first bad key by name", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"b": math.NaN(), "a": math.Inf(-1)}}, wantErr: `numeric_features["a"]: must be a finite number`},
		{name: "empty feature name", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"": 1}}, wantErr: `numeric_features[""]: key must not be empty`},
		{name: "feature name of 33 characters", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{strings.Repeat("n", 33): 1}},
			wantErr: `numeric_features["nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"]: key must be at most 32 characters`},
		{name: "huge feature name is cut in the message", req: &scoringv1.ScoreRequest{Id: "a", CategoricalFeatures: map[string]string{strings.Repeat("\x1b", 900_000): "x"}},
			wantErr: `categorical_features["` + strings.Repeat(`\x1b`, 40) + `"...]: key must be at most 32 characters`},
		{name: "categorical value of 65 characters", req: &scoringv1.ScoreRequest{Id: "a", CategoricalFeatures: map[string]string{"country": strings.Repeat("v", 65)}},
			wantErr: `categorical_features["country"]: must be at most 64 characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, validation.ScoreRequest(tt.req), tt.wantErr)
		})
	}
}

func TestErrorNamesFieldAndRule(t *testing.T) {
	err := validation.ScoreRequest(&scoringv1.ScoreRequest{Id: strings.Repeat("x", 129)})
	verr, ok := err.(*validation.Error)
	if !ok || verr.Field != "id" || verr.Rule != "string.max_len" {
		t.Fatalf("got %#v, want a *validation.Error for id, rule string.max_len", err)
	}
}

// TestMaxWireBytesIsTheLargestValidBatch builds the largest batch the rules allow (every
// list and map full, every string at its limit in 4-byte characters) and checks that it is
// valid and encodes to exactly MaxWireBytes: the figure every size limit is derived from.
func TestMaxWireBytesIsTheLargestValidBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a batch of tens of megabytes")
	}
	// Per-item results asked for: the flag is part of the largest request.
	batch := &scoringv1.ScoreBatchRequest{ItemResults: true}
	for i := range validation.MaxBatchSize {
		req := &scoringv1.ScoreRequest{Id: name(i, 128, true),
			NumericFeatures: map[string]float64{}, CategoricalFeatures: map[string]string{}}
		for f := range 64 {
			req.NumericFeatures[name(f, 32, true)] = -math.MaxFloat64
			req.CategoricalFeatures[name(f, 32, true)] = strings.Repeat("😀", 64)
		}
		batch.Requests = append(batch.Requests, req)
	}
	if err := protovalidate.Validate(batch); err != nil {
		t.Fatalf("the largest batch is invalid: %v", err)
	}
	if got := proto.Size(batch); got != validation.MaxWireBytes(batch) || got != validation.MaxRequestBytes {
		t.Errorf("largest batch encodes to %d bytes; MaxWireBytes = %d, MaxRequestBytes = %d", got, validation.MaxWireBytes(batch), validation.MaxRequestBytes)
	}
}

func TestLimits(t *testing.T) {
	if validation.MaxBatchSize != 1000 {
		t.Errorf("MaxBatchSize = %d, want scoring.proto's 1000", validation.MaxBatchSize)
	}
	if validation.MaxResponseBytes <= 0 || validation.MaxResponseBytes >= validation.MaxRequestBytes {
		t.Errorf("MaxResponseBytes = %d, want a positive figure below MaxRequestBytes (%d)", validation.MaxResponseBytes, validation.MaxRequestBytes)
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Errorf("no error, want %q", want)
	case want != "" && err.Error() != want:
		t.Errorf("error %q, want %q", err, want)
	}
}
