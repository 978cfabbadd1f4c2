package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
	"example.com/http-stdlib/orchestrator/internal/validation"
)

func TestBadRequests(t *testing.T) {
	e := newEnv(t, nil, 2*time.Second)
	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		status      int
		code        string
	}{
		{"malformed JSON", "/v1/score", "application/json", `{"id": `, http.StatusBadRequest, "invalid_argument"},
		{"empty body", "/v1/score", "application/json", ``, http.StatusBadRequest, "invalid_argument"},
		{"unknown field", "/v1/score", "application/json", `{"id":"a","amount":3}`, http.StatusBadRequest, "invalid_argument"},
		{"wrong type", "/v1/score", "application/json", `{"id":7}`, http.StatusBadRequest, "invalid_argument"},
		{"missing id", "/v1/score", "application/json", `{"numericFeatures":{"a":1}}`, http.StatusBadRequest, "invalid_argument"},
		{"id too long", "/v1/score", "application/json", `{"id":"` + strings.Repeat("x", 129) + `"}`, http.StatusBadRequest, "invalid_argument"},
		{"not finite", "/v1/score", "application/json", `{"id":"a","numericFeatures":{"a":"NaN"}}`, http.StatusBadRequest, "invalid_argument"},
		{"empty batch", "/v1/score/batch", "application/json", `{"requests":[]}`, http.StatusBadRequest, "invalid_argument"},
		{"bad batch element", "/v1/score/batch", "application/json", `{"requests":[{"id":"a"},{"id":""}]}`, http.StatusBadRequest, "invalid_argument"},
		{"feature name too long", "/v1/score", "application/json", `{"id":"a","categoricalFeatures":{"` + strings.Repeat("n", 33) + `":"x"}}`, http.StatusBadRequest, "invalid_argument"},
		{"oversized", "/v1/score", "application/json", `{"id":"` + strings.Repeat("x", 5000) + `"}`, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"oversized batch", "/v1/score/batch", "application/json", `{"requests":[` + strings.Repeat(`{"id":"a"},`, 500) + `{"id":"a"}]}`, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"no content type", "/v1/score", "", `{"id":"a"}`, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"form content type", "/v1/score", "application/x-www-form-urlencoded", `{"id":"a"}`, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, do(e.api, http.MethodPost, tt.path, tt.contentType, []byte(tt.body)), tt.status, tt.code)
		})
	}

	t.Run("JSON with charset", func(t *testing.T) {
		e.worker.answer(t, func(_ context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
			return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
		})
		if rec := do(e.api, http.MethodPost, "/v1/score", "application/json; charset=utf-8", []byte(`{"id":"a"}`)); rec.Code != http.StatusOK {
			t.Errorf("status %d, body %s", rec.Code, rec.Body)
		}
	})
}

func TestValidationErrorNamesTheField(t *testing.T) {
	e := newEnv(t, nil, 2*time.Second)
	rec := post(e.api, "/v1/score/batch", []byte(`{"requests":[{"id":"a"},{"id":"b","numericFeatures":{"`+strings.Repeat("n", 40)+`":1}}]}`))
	wantError(t, rec, http.StatusBadRequest, "invalid_argument")
	want := `"field":"requests[1].numeric_features[\"` + strings.Repeat("n", 40) + `\"]"`
	if !strings.Contains(rec.Body.String(), want) || !strings.Contains(rec.Body.String(), "must be at most 32 characters") {
		t.Errorf("body %s does not name the field and the limit", rec.Body)
	}
}

// An empty body is named as such, not as protojson's syntax error at an unnamed token.
func TestEmptyBodySaysSo(t *testing.T) {
	e := newEnv(t, nil, 2*time.Second)
	for _, tt := range []struct{ path, body, message string }{
		{"/v1/score", "", "the body is empty; send a ScoreRequest as a JSON object"},
		{"/v1/score/batch", " \r\n\t", "the body is empty; send a ScoreBatchRequest as a JSON object"},
	} {
		rec := post(e.api, tt.path, []byte(tt.body))
		wantError(t, rec, http.StatusBadRequest, "invalid_argument")
		if !strings.Contains(rec.Body.String(), tt.message) {
			t.Errorf("%s %q: body %s, want the message %q", tt.path, tt.body, rec.Body, tt.message)
		}
	}
}

// The default body limit is the contract's: the largest batch it allows (1000 requests of
// 64 + 64 features) gets through, one byte past the derived ceiling gets 413 naming it.
func TestDefaultBodyLimitIsTheContracts(t *testing.T) {
	e := newEnv(t, nil, 10*time.Second)
	api := httpapi.New(httpapi.Config{Workers: primaryOnly(e.client), Logger: slog.New(slog.DiscardHandler)})
	e.worker.answer(t, func(_ context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
		return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
	})
	batch := &scoringv1.ScoreBatchRequest{}
	for i := range validation.MaxBatchSize {
		req := &scoringv1.ScoreRequest{Id: fmt.Sprint("r", i), NumericFeatures: map[string]float64{}, CategoricalFeatures: map[string]string{}}
		for f := range 64 {
			req.NumericFeatures[fmt.Sprintf("numeric_feature_%02d", f)] = 1234.5678
			req.CategoricalFeatures[fmt.Sprintf("categorical_feature_%02d", f)] = "some_category"
		}
		batch.Requests = append(batch.Requests, req)
	}
	body, err := protojson.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	if rec := post(api, "/v1/score/batch", body); rec.Code != http.StatusOK {
		t.Fatalf("a full batch of %d bytes: status %d, body %.300s", len(body), rec.Code, rec.Body)
	}

	limit := validation.MaxJSONBytes(&scoringv1.ScoreRequest{})
	rec := post(api, "/v1/score", []byte(`{"id":"`+strings.Repeat("x", int(limit))+`"}`))
	wantError(t, rec, http.StatusRequestEntityTooLarge, "payload_too_large")
	if want := fmt.Sprintf("exceeds %d bytes, the limit for a ScoreRequest", limit); !strings.Contains(rec.Body.String(), want) {
		t.Errorf("body %s does not name the limit (%q)", rec.Body, want)
	}
}
