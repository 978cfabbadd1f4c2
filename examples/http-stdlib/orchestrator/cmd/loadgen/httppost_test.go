package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A refusal's error says who refused: the bench reports the first error of a phase, and a 429
// from the orchestrator's own limit and one passing on the worker's call for different fixes.
func TestAFailedPostQuotesTheAnswersErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   error
	}{{http.StatusTooManyRequests, errTooManyRequests}, {http.StatusGatewayTimeout, errGatewayTimeout}, {http.StatusBadGateway, nil}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(`{"error":{"code":"resource_exhausted","message":"orchestrator is at capacity"}}` + strings.Repeat(" ", 2*maxErrorBody)))
		}))
		err := httpPost(srv.Client(), srv.URL+"/v1/score", [][]byte{[]byte(`{}`)})(context.Background())
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "orchestrator is at capacity") {
			t.Errorf("status %d: error %v, want the answer's message quoted", tc.status, err)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("status %d: error %v, want it to wrap %v", tc.status, err, tc.want)
		}
		if len(err.Error()) > 2*maxErrorBody {
			t.Errorf("status %d: error of %d bytes quotes more than %d of the body", tc.status, len(err.Error()), maxErrorBody)
		}
	}
}
