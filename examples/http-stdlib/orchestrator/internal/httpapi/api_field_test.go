package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
)

// wantField checks an error body's "field": present, and want; "" is the body as a whole.
func wantField(t *testing.T, rec *httptest.ResponseRecorder, want string) {
	t.Helper()
	var body struct {
		Error struct {
			Field *string `json:"field"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", rec.Body, err)
	}
	if body.Error.Field == nil {
		t.Fatalf("body %s has no \"field\", want %q", rec.Body, want)
	}
	if *body.Error.Field != want {
		t.Errorf("field %q, want %q; body %s", *body.Error.Field, want, rec.Body)
	}
}

// Every 400 or 413 about a body names the field at fault in the contract's names, whichever
// layer refused it, or "" for the body as a whole: a client can point at the field without
// parsing protojson's line and column.
func TestEveryBodyRefusalNamesItsField(t *testing.T) {
	e := newEnv(t, nil, 2*time.Second)
	long := strings.Repeat("n", 40)
	tests := []struct {
		name, path, body string
		status           int
		field            string
	}{
		// protojson: a value of the wrong type, at every depth.
		{"string for a number", "/v1/score", `{"id":"a","numericFeatures":{"amount":"x"}}`, 400, `numeric_features["amount"]`},
		{"number for a string", "/v1/score", `{"id":7}`, 400, "id"},
		{"object for a map", "/v1/score", `{"id":"a","categoricalFeatures":[1]}`, 400, "categorical_features"},
		{"in a batch element", "/v1/score/batch", `{"requests":[{"id":"a"},{"id":"b","numericFeatures":{"x":true}}]}`, 400, `requests[1].numeric_features["x"]`},
		{"list of the wrong kind", "/v1/score/batch", `{"requests":[{"id":"a"},"b"]}`, 400, "requests[1]"},
		{"proto name of a field", "/v1/score/batch", `{"item_results":"yes","requests":[{"id":"a"}]}`, 400, "item_results"},
		// Unknown fields, named as sent.
		{"unknown field", "/v1/score", `{"id":"a","amount":"x"}`, 400, "amount"},
		{"unknown nested", "/v1/score/batch", `{"requests":[{"id":"a","amout":3}]}`, 400, "requests[0].amout"},
		{"field set twice", "/v1/score", `{"id":"a","id":"b"}`, 400, "id"},
		// JSON syntax: where the body breaks off.
		{"cut short", "/v1/score", `{"id": `, 400, "id"},
		{"bad value in a map", "/v1/score/batch", `{"requests":[{"id":"a","numericFeatures":{"x":1,"y":}}]}`, 400, `requests[0].numeric_features["y"]`},
		// Rules.
		{"rule", "/v1/score/batch", `{"requests":[{"id":"a"},{"id":"b","numericFeatures":{"` + long + `":1}}]}`, 400, `requests[1].numeric_features["` + long + `"]`},
		// The body as a whole.
		{"not JSON", "/v1/score", `hello`, 400, ""},
		{"not an object", "/v1/score", `[1,2]`, 400, ""},
		{"trailing data", "/v1/score", `{"id":"a"} x`, 400, ""},
		{"empty", "/v1/score", ``, 400, ""},
		{"too large", "/v1/score", `{"id":"` + strings.Repeat("x", 5000) + `"}`, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(e.api, tt.path, []byte(tt.body))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			wantField(t, rec, tt.field)
		})
	}

	// The worker reports a rule it holds and the orchestrator does not (an older contract on
	// this side) as INVALID_ARGUMENT, "field: message", as validation.Error reads.
	t.Run("worker's rule", func(t *testing.T) {
		e.worker.answer(t, func(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
			return nil, status.Error(codes.InvalidArgument, `numeric_features["a: b"]: must be finite`)
		})
		rec := post(e.api, "/v1/score", []byte(`{"id":"a"}`))
		wantError(t, rec, http.StatusBadRequest, "invalid_argument")
		wantField(t, rec, `numeric_features["a: b"]`)
	})
	t.Run("worker's prose", func(t *testing.T) {
		e.worker.answer(t, func(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
			return nil, status.Error(codes.InvalidArgument, "model input rejected: too many features")
		})
		wantField(t, post(e.api, "/v1/score", []byte(`{"id":"a"}`)), "")
	})
}
