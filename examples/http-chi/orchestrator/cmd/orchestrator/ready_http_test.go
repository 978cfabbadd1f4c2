package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/http-chi/orchestrator/internal/workerclient"
)

// Every worker has HTTP routes of its own, so each one's health gates readiness: an added
// worker NOT_SERVING makes /readyz answer 503 naming it.
func TestReadinessNeedsEveryRoutedWorker(t *testing.T) {
	cfg, ws, _, pricing := twoWorkers(t)
	api := newAPI(cfg, ws, 1<<20, slog.New(slog.DiscardHandler))
	readyz := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec
	}
	waitHealth(t, ws, 0, workerclient.HealthServing)
	waitHealth(t, ws, 1, workerclient.HealthServing)
	if rec := readyz(); rec.Code != http.StatusOK {
		t.Fatalf("/readyz = %d %s with both workers SERVING", rec.Code, rec.Body)
	}
	setHealth(pricing, false)
	waitHealth(t, ws, 1, workerclient.HealthNotServing)
	if rec := readyz(); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "pricing") {
		t.Errorf("/readyz = %d %s with pricing NOT_SERVING, want 503 naming pricing", rec.Code, rec.Body)
	}
}
