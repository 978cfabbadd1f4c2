package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
	"example.com/http-stdlib/orchestrator/internal/workerclient"
)

// itemWorker answers a batch as the workers do: in results when the call asks for
// itemResults, else in responses.
type itemWorker struct{ stubWorker }

func (itemWorker) ScoreBatch(_ context.Context, req *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	resp := &scoringv1.ScoreBatchResponse{}
	for _, r := range req.GetRequests() {
		one := &scoringv1.ScoreResponse{Id: r.GetId()}
		if req.GetItemResults() {
			resp.Results = append(resp.Results, &scoringv1.ScoreResult{Outcome: &scoringv1.ScoreResult_Response{Response: one}})
		} else {
			resp.Responses = append(resp.Responses, one)
		}
	}
	return resp, nil
}

// A batch answer carries the list it answers in and not the other one empty beside it, while
// each answer in it still carries every field, a zero score included.
func TestABatchAnswerCarriesOnlyItsOwnList(t *testing.T) {
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(itemWorker{stubWorker{health: workerclient.HealthServing}}), Logger: slog.New(slog.DiscardHandler)})
	for _, tt := range []struct {
		body, list string
	}{
		{`{"requests":[{"id":"a"},{"id":"b"}]}`, "responses"},
		{`{"requests":[{"id":"a"},{"id":"b"}],"itemResults":true}`, "results"},
	} {
		rec := post(api, "/v1/score/batch", []byte(tt.body))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d, body %s", tt.body, rec.Code, rec.Body)
		}
		var got map[string][]map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: answer %s: %v", tt.body, rec.Body, err)
		}
		if len(got) != 1 || len(got[tt.list]) != 2 {
			t.Fatalf("%s: answer %s; want %q alone, with 2 items", tt.body, rec.Body, tt.list)
		}
		item := got[tt.list][0]
		if tt.list == "results" {
			_ = json.Unmarshal(item["response"], &item)
		}
		if string(item["score"]) != "0" {
			t.Errorf("%s: first answer %s; want its zero score written", tt.body, rec.Body)
		}
	}
}
