package validation_test

import (
	"testing"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/validation"
)

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
	withBadSecond.Requests[2].Id = ""

	tests := []struct {
		name    string
		req     *scoringv1.ScoreBatchRequest
		wantErr string
	}{
		{name: "one", req: batch(1)},
		{name: "1000", req: batch(1000)},
		{name: "empty", req: batch(0), wantErr: "requests: must not be empty"},
		{name: "1001", req: batch(1001), wantErr: "requests: must have at most 1000 items"},
		{name: "first bad element", req: withBadSecond, wantErr: "requests[1].id: must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, validation.ScoreBatchRequest(tt.req), tt.wantErr)
		})
	}
}

func TestMaxJSONBytes(t *testing.T) {
	if got, want := validation.MaxJSONBytes(&scoringv1.ScoreBatchRequest{}), int64(validation.JSONExpansion*validation.MaxRequestBytes); got != want {
		t.Errorf("MaxJSONBytes(ScoreBatchRequest) = %d, want %d", got, want)
	}
}
