package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A run during which the worker refused connections at its cap says so in results.json, in
// the printed summary and in the targets, read from the worker's /metrics as the worker
// writes it: HELP and TYPE lines, other series, a label value with a space.
func TestARunThatHitTheConnectionCapSaysSo(t *testing.T) {
	refused := []int{3, 260}
	scrapes := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# HELP %s gRPC connections closed on arrival.\n# TYPE %s counter\n", connectionsRefused, connectionsRefused)
		fmt.Fprintf(w, "scoring_model_info{model_version=\"v 1\"} 1\n%s %d\nworker_log_lines_dropped_total 0\n", connectionsRefused, refused[min(scrapes, 1)])
		scrapes++
	}))
	defer srv.Close()
	ctx := context.Background()
	before, err := refusedSoFar(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	after, err := refusedSoFar(ctx, srv.URL)
	r := &results{WorkerConnections: connectionsBetween(before, after, err)}
	r.checks()

	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"worker_grpc_connections":{"refused":257}`) {
		t.Errorf("results.json = %s; want worker_grpc_connections.refused 257", data)
	}
	var summary bytes.Buffer
	r.writeSummary(&summary)
	if !strings.Contains(summary.String(), connectionsRefused+"): 257: the worker held its most connections") {
		t.Errorf("summary does not report the 257 refused connections:\n%s", summary.String())
	}
	var got []check
	for _, c := range r.Targets {
		if c.Name == "worker gRPC connections refused at its cap" {
			got = append(got, c)
		}
	}
	if len(got) != 1 || got[0].Value != 257 || got[0].Met {
		t.Errorf("target rows %+v; want one, 257, not met", got)
	}
}

// Without the worker's metrics the row says why it is unknown, and sets no target.
func TestConnectionsRefusedUnreadIsSaid(t *testing.T) {
	_, err := refusedSoFar(context.Background(), "")
	r := &results{WorkerConnections: connectionsBetween(0, 0, err)}
	r.checks()
	var summary bytes.Buffer
	r.writeSummary(&summary)
	if !strings.Contains(summary.String(), "not read: the worker's metrics address was not given") {
		t.Errorf("summary does not say the refusals were not read:\n%s", summary.String())
	}
	for _, c := range r.Targets {
		if strings.Contains(c.Name, "connections refused") {
			t.Errorf("target %+v set though nothing was read", c)
		}
	}
}

// A row run alone (`loadgen burst`, `loadgen shed-probe`) reports the connections the worker
// refused while it ran as the full run reports them in results.json: same key, same figure.
// `loadgen burst` once printed its figures without them, so a burst that met the cap passed.
func TestARowRunAloneReportsTheConnectionsTheWorkerRefused(t *testing.T) {
	refused := []int{3, 5}
	scrapes := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s %d\n", connectionsRefused, refused[min(scrapes, 1)])
		scrapes++
	}))
	defer srv.Close()
	for name, row := range map[string]func(context.Context) (any, error){
		"burst":      func(context.Context) (any, error) { return burstFigures{Clients: 7}, nil },
		probeCommand: func(context.Context) (any, error) { return probeResult{Accepted: 7}, nil },
	} {
		scrapes = 0
		var out bytes.Buffer
		if err := runRow(context.Background(), srv.URL, &out, row); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%s printed %q: %v", name, out.String(), err)
		}
		if string(got[connectionsKey]) != `{"refused":2}` {
			t.Errorf("%s printed %s; want %s {\"refused\":2}", name, out.String(), connectionsKey)
		}
		if _, ok := got["clients"]; !ok && name == "burst" {
			t.Errorf("burst's own figures are not at the top: %s", out.String())
		}
	}
	// The key is results.json's.
	data, err := json.Marshal(&results{WorkerConnections: &workerConnections{Refused: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"`+connectionsKey+`":{"refused":2}`) {
		t.Errorf("results.json has no %s: %s", connectionsKey, data)
	}
	// Without the worker's metrics address, the row says the figure was not read.
	var out bytes.Buffer
	if err := runRow(context.Background(), "", &out, func(context.Context) (any, error) { return burstFigures{}, nil }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"`+connectionsKey+`":{"refused":0,"note":"not read: the worker's metrics address was not given (-worker-metrics)"}`) {
		t.Errorf("a row without -worker-metrics printed %s", out.String())
	}
}
