package ops

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestHealthAndReadiness(t *testing.T) {
	var notReady error
	h := NewHandler(http.NotFoundHandler(), func() error { return notReady }, func() map[string]string { return map[string]string{"pricing": "not_serving"} })
	// Every worker's health is reported, whether or not it gates readiness.
	if rec := get(t, h, "/healthz"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"workers":{"pricing":"not_serving"}`) {
		t.Errorf("/healthz = %d %s, want 200 with each worker's health", rec.Code, rec.Body)
	}
	if rec := get(t, h, "/readyz"); rec.Code != http.StatusOK {
		t.Errorf("/readyz = %d while ready", rec.Code)
	}
	notReady = errors.New("scoring worker health is not_serving")
	rec := get(t, h, "/readyz")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "not_serving") {
		t.Errorf("/readyz = %d %s, want 503 with the reason", rec.Code, rec.Body)
	}
	// Liveness ignores what readiness reports.
	if rec := get(t, h, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("/healthz = %d while not ready", rec.Code)
	}
}
