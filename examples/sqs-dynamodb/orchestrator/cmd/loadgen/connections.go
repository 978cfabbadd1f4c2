package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// workerConnections is what the worker's cap on gRPC connections did to the run: how many
// it closed on arrival (connectionsRefused) between loadgen's first call and its last. A
// call on a refused connection fails with a reset, which the figures count as an error or
// a shorter tail, so a run that hit the cap measured the cap, and its report must say so.
type workerConnections struct {
	Refused int `json:"refused"`
	// Note says why Refused was not read, if it was not.
	Note string `json:"note,omitempty"`
}

// refusedSoFar reads the worker's count of refused connections, from its /metrics at url.
func refusedSoFar(ctx context.Context, url string) (float64, error) {
	if url == "" {
		return 0, errors.New("the worker's metrics address was not given (-worker-metrics)")
	}
	return scrapeCounter(ctx, url, connectionsRefused)
}

// connectionsBetween is the refusals between two readings of refusedSoFar, or why they are unknown.
func connectionsBetween(before, after float64, err error) *workerConnections {
	if err != nil {
		return &workerConnections{Note: "not read: " + err.Error()}
	}
	if after < before {
		return &workerConnections{Note: "not read: the worker restarted during the run (its counter went back)"}
	}
	return &workerConnections{Refused: int(after - before)}
}

// checks is the row's target: the run never met the cap.
func (c *workerConnections) checks(add func(name string, value float64, target string, met bool)) {
	if c.Note != "" {
		return
	}
	add("worker gRPC connections refused at its cap", float64(c.Refused), "= 0", c.Refused == 0)
}

func (c *workerConnections) write(w io.Writer) {
	fmt.Fprintf(w, "\nworker gRPC connections refused at its cap (%s): ", connectionsRefused)
	switch {
	case c.Note != "":
		fmt.Fprintln(w, c.Note)
	case c.Refused > 0:
		fmt.Fprintf(w, "%d: the worker held its most connections, and calls on those it refused failed with a reset; the figures above measured that cap, not the service\n", c.Refused)
	default:
		fmt.Fprintln(w, "none")
	}
}

// connectionWatch is the worker's count of refused connections, read before a mode's first
// call; done reads it again. Every mode that drives the worker reports through one: the full
// run in results.json, every other mode (`loadgen burst`, `loadgen shed-probe`, the tracing,
// coalescing and grpc-gateway variants) through runRow, under the same key and with the same
// line, so no mode measures the connection cap without saying so.
type connectionWatch struct {
	url    string
	before float64
	err    error
}

func watchConnections(ctx context.Context, url string) connectionWatch {
	before, err := refusedSoFar(ctx, url)
	return connectionWatch{url, before, err}
}

// done is the refusals since the watch began, or why they are unknown.
func (w connectionWatch) done(ctx context.Context) *workerConnections {
	after, err := w.before, w.err
	if err == nil {
		after, err = refusedSoFar(ctx, w.url)
	}
	return connectionsBetween(w.before, after, err)
}

// connectionsKey is results.json's key for the connections (results.WorkerConnections).
const connectionsKey = "worker_grpc_connections"

// runRow runs row, one mode's measurement with the worker's refused connections watched around
// it, and writes to out its figures as JSON with connectionsKey added, and on stderr the
// connections line the full run's summary has. The modes that run a row alone straight at the
// worker (`loadgen burst`, `loadgen shed-probe`) write to stdout; the variants the bench runs
// against fresh services (tracing, coalescing, grpc-gateway) to their -*-out file. metrics is
// the worker's /metrics URL ("": the row says it was not read). An error from row means no
// figures: nothing is written.
func runRow(ctx context.Context, metrics string, out io.Writer, row func(context.Context) (any, error)) error {
	watch := watchConnections(ctx, metrics)
	figures, err := row(ctx)
	if err != nil {
		return err
	}
	conns := watch.done(ctx)
	conns.write(os.Stderr)
	// The row's own fields stay at the top, as its readers (the full run, the e2e test) read them.
	raw, err := json.Marshal(figures)
	if err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return fmt.Errorf("a row's figures must be a JSON object: %w", err)
	}
	if fields[connectionsKey], err = json.Marshal(conns); err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(fields)
}

// runRowToFile is runRow writing to the file at path, for the bench's variant runs, which the
// full run reads back (readRows).
func runRowToFile(ctx context.Context, metrics, path string, row func(context.Context) (any, error)) error {
	var out bytes.Buffer
	if err := runRow(ctx, metrics, &out, row); err != nil {
		return err
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}
