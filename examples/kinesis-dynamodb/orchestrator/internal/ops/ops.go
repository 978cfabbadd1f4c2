// Package ops serves the orchestrator's operational endpoints: liveness, readiness and metrics.
package ops

import (
	"encoding/json"
	"net/http"
)

// NewHandler serves /healthz, /readyz and, from metrics, /metrics. ready reports why the
// process should not count as ready (nil when it should); workers, if set, is every worker's
// health by name, which /healthz reports, so a worker that gates nothing still shows its state.
func NewHandler(metrics http.Handler, ready func() error, workers func() map[string]string) http.Handler {
	mux := http.NewServeMux()
	// Liveness ignores the worker and the queue, so the orchestrator is never restarted for their problems.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		body := map[string]any{"status": "ok"}
		if workers != nil {
			body["workers"] = workers()
		}
		writeJSON(w, http.StatusOK, body)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
	})
	mux.Handle("GET /metrics", metrics)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
