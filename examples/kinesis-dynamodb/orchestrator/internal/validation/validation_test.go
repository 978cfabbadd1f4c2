package validation_test

import (
	"math"
	"strings"
	"testing"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/validation"
)

func numeric(n int) map[string]float64 {
	m := make(map[string]float64, n)
	for i := range n {
		m["f"+strings.Repeat("x", i)] = float64(i)
	}
	return m
}

func categorical(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m["c"+strings.Repeat("x", i)] = "v"
	}
	return m
}

func TestScoreRequest(t *testing.T) {
	tests := []struct {
		name    string
		req     *scoringv1.ScoreRequest
		wantErr string // substring; "" means valid
	}{
		{name: "minimal", req: &scoringv1.ScoreRequest{Id: "a"}},
		{name: "id of 128 characters", req: &scoringv1.ScoreRequest{Id: strings.Repeat("x", 128)}},
		{name: "id of 128 multibyte characters", req: &scoringv1.ScoreRequest{Id: strings.Repeat("é", 128)}},
		{name: "full feature maps", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: numeric(64), CategoricalFeatures: categorical(64)}},
		{name: "extreme but finite", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"max": math.MaxFloat64, "neg": -math.MaxFloat64}}},
		{name: "empty id", req: &scoringv1.ScoreRequest{}, wantErr: "id must be 1 to 128 characters, got 0"},
		{name: "id of 129 characters", req: &scoringv1.ScoreRequest{Id: strings.Repeat("x", 129)}, wantErr: "got 129"},
		{name: "65 numeric features", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: numeric(65)}, wantErr: "numeric_features has 65 entries, at most 64 are allowed"},
		{name: "65 categorical features", req: &scoringv1.ScoreRequest{Id: "a", CategoricalFeatures: categorical(65)}, wantErr: "categorical_features has 65 entries, at most 64 are allowed"},
		{name: "NaN", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"amount": math.NaN()}}, wantErr: `numeric_features["amount"] must be a finite number, got NaN`},
		{name: "+Inf", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"amount": math.Inf(1)}}, wantErr: "got inf"},
		{name: "-Inf", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"amount": math.Inf(-1)}}, wantErr: "got -inf"},
		{name: "first bad key by name", req: &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"b": math.NaN(), "a": math.NaN()}}, wantErr: `numeric_features["a"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, validation.ScoreRequest(tt.req), tt.wantErr)
		})
	}
}

func TestScoreBatchRequest(t *testing.T) {
	batch := func(n int) *scoringv1.ScoreBatchRequest {
		b := &scoringv1.ScoreBatchRequest{}
		for range n {
			b.Requests = append(b.Requests, &scoringv1.ScoreRequest{Id: "a"})
		}
		return b
	}
	withBadSecond := batch(3)
	withBadSecond.Requests[1].Id = ""

	tests := []struct {
		name    string
		req     *scoringv1.ScoreBatchRequest
		wantErr string
	}{
		{name: "one", req: batch(1)},
		{name: "1000", req: batch(1000)},
		{name: "empty", req: batch(0), wantErr: "requests must hold 1 to 1000 requests, got 0"},
		{name: "1001", req: batch(1001), wantErr: "got 1001"},
		{name: "bad element", req: withBadSecond, wantErr: "requests[1]: id must be 1 to 128 characters, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, validation.ScoreBatchRequest(tt.req), tt.wantErr)
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Errorf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("error %q does not contain %q", err, want)
	}
}
