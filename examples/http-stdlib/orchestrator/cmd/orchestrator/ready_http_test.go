package main

import (
	"log/slog"
	"strings"
	"testing"

	"example.com/http-stdlib/orchestrator/internal/workerclient"
)

// Every worker has HTTP routes of its own, so each one's health gates readiness: an added
// worker NOT_SERVING makes the orchestrator unready, naming it.
func TestReadinessNeedsEveryRoutedWorker(t *testing.T) {
	cfg, ws, _, pricing, changed := twoWorkers(t)
	newAPI(cfg, ws, 1<<20, nil, slog.New(slog.DiscardHandler))
	waitHealth(t, ws, changed, 0, workerclient.HealthServing)
	waitHealth(t, ws, changed, 1, workerclient.HealthServing)
	if err := ws.ready(); err != nil {
		t.Fatalf("ready() = %v with both workers SERVING", err)
	}
	setHealth(pricing, false)
	waitHealth(t, ws, changed, 1, workerclient.HealthNotServing)
	if err := ws.ready(); err == nil || !strings.Contains(err.Error(), "pricing") {
		t.Errorf("ready() = %v with pricing NOT_SERVING, want an error naming pricing", err)
	}
}
