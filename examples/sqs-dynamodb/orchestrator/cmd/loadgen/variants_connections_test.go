package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// The bench's variant runs (tracing, coalescing, grpc-gateway) drive the worker through the
// orchestrator as the full run does, so each reports the connections the worker refused under
// connectionsKey, as the full run and `loadgen burst` and `shed-probe` do: they once wrote
// their rows without it, so a variant that met the worker's cap measured the cap unsaid.
func TestEveryVariantRunReportsTheConnectionsTheWorkerRefused(t *testing.T) {
	// The orchestrator: ready, scoring every request, with no coalesced batches yet.
	orchestrator := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/score" {
			fmt.Fprint(w, `{"id":"v1","score":0.5}`)
		}
	}))
	defer orchestrator.Close()
	// The worker's metrics: 3 connections refused before the run, 5 after.
	var scrapes atomic.Int32
	worker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		refused := 3
		if scrapes.Add(1) > 1 {
			refused = 5
		}
		fmt.Fprintf(w, "%s %d\n", connectionsRefused, refused)
	}))
	defer worker.Close()
	dir := t.TempDir()
	vectors := filepath.Join(dir, "vectors.json")
	if err := os.WriteFile(vectors, []byte(`{"vectors":[{"request":{"id":"v1","numericFeatures":{"amount":1}},"score":0.5}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	base := options{
		http: orchestrator.URL, vectors: vectors, workerMetrics: worker.URL, orchestratorPID: os.Getpid(),
		runs: 1, concurrency: 1, maxInFlight: 1, rate: 50, warmup: 5 * time.Millisecond, duration: 20 * time.Millisecond,
	}
	for name, mode := range map[string]struct {
		run  func(context.Context, options) error
		with func(o *options, out string)
	}{
		"tracing":  {runTracingVariant, func(o *options, out string) { o.tracingVariant, o.tracingOut = "off", out }},
		"coalesce": {runCoalesceVariant, func(o *options, out string) { o.coalesceVariant, o.coalesceOut = "on", out }},
		"gateway":  {runGatewayVariant, func(o *options, out string) { o.gatewayVariant, o.gatewayOut = gatewayTargetVariant, out }},
	} {
		scrapes.Store(0)
		o, out := base, filepath.Join(dir, name+".json")
		mode.with(&o, out)
		if err := mode.run(context.Background(), o); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("%s wrote %q: %v", name, data, err)
		}
		if string(got[connectionsKey]) != `{"refused":2}` {
			t.Errorf("%s wrote %s; want %s {\"refused\":2}", name, data, connectionsKey)
		}
		if _, ok := got["variant"]; !ok {
			t.Errorf("%s's own figures are not at the top: %s", name, data)
		}
	}
}
