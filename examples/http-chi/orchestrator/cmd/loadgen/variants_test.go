package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The full run's target on refused connections covers the variant runs bench.sh made before
// it: their files each recorded a count, which the summary once left unread, so a grpc-gateway
// run that met the worker's connection cap passed the bench.
func TestTheVariantRunsRefusedConnectionsCountInTheFullRun(t *testing.T) {
	dir := t.TempDir()
	file := func(name, row string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(row), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	o := options{
		http:       "http://127.0.0.1:1",
		tracing:    file("tracing-off-1.json", `{"variant":"off","worker_grpc_connections":{"refused":0}}`),
		coalescing: file("coalesce-on-1.json", `{"variant":"on","worker_grpc_connections":{"refused":2}}`),
		gateway: strings.Join([]string{
			file("gateway-1.json", `{"variant":"orchestrator","worker_grpc_connections":{"refused":1}}`),
			file("gateway-2.json", `{"variant":"grpc-gateway","worker_grpc_connections":{"refused":4}}`),
		}, ","),
	}
	r := &results{}
	variants, err := readVariants(r, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tracing) != 1 || len(r.Coalescing) != 1 || len(r.Gateway) != 2 {
		t.Fatalf("rows read: tracing %d, coalescing %d, gateway %d; want 1, 1, 2", len(r.Tracing), len(r.Coalescing), len(r.Gateway))
	}
	r.WorkerConnections = (&workerConnections{Refused: 3}).plus(variants)
	r.checks()
	if got := *r.WorkerConnections; got != (workerConnections{Refused: 10}) {
		t.Errorf("connections refused = %+v; want 10 (3 in the full run, 7 in the variants)", got)
	}
	for _, c := range r.Targets {
		if strings.Contains(c.Name, "connections refused") && c.Met {
			t.Errorf("target %+v met though the variants met the cap", c)
		}
	}
}

// A variant run whose count is unknown (its metrics unread, or a file without the key) leaves
// the total unknown, said so, rather than a zero that passes.
func TestAnUnknownVariantCountMakesTheTotalUnknown(t *testing.T) {
	dir := t.TempDir()
	for name, row := range map[string]string{
		"unread.json":  `{"variant":"off","worker_grpc_connections":{"refused":0,"note":"not read: the worker's metrics address was not given (-worker-metrics)"}}`,
		"without.json": `{"variant":"off"}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(row), 0o644); err != nil {
			t.Fatal(err)
		}
		variants, err := variantConnections(path)
		if err != nil {
			t.Fatal(err)
		}
		total := (&workerConnections{}).plus(variants)
		if total.Note == "" {
			t.Errorf("%s: total %+v; want unknown, with the reason", name, total)
		}
	}
}
