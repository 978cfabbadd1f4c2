package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
)

// tracingRow is one tracing variant of the HTTP path (off, sampled, always on): what the
// services cost with their spans exported over OTLP to a sink that discards them.
type tracingRow struct {
	Variant string `json:"variant"`
	Sampler string `json:"sampler"`
	// MaxPerSecond is the fixed-concurrency throughput; P50/P99 are at the fixed rate.
	MaxPerSecond float64 `json:"max_requests_per_s"`
	P50          float64 `json:"p50_ms"`
	P99          float64 `json:"p99_ms"`
	// CPUPerRequest is the orchestrator's plus the worker's CPU per request, in microseconds.
	CPUPerRequest float64   `json:"cpu_us_per_request"`
	Errors        int       `json:"errors"`
	Sink          sinkStats `json:"otlp_sink"`
	// Ratios to the "off" row (1 for the row itself): medians of the per-run ratios.
	ThroughputRatio float64 `json:"max_requests_per_s_vs_off"`
	P99Ratio        float64 `json:"p99_vs_off"`
	CPURatio        float64 `json:"cpu_per_request_vs_off"`
	// Runs is how many runs the row's figures are medians over; Figures holds each
	// loadgen -tracing-variant invocation's own figures (one per run as bench.sh calls it).
	Runs    int             `json:"runs"`
	Figures []targetFigures `json:"figures"`
}

// sinkStats is what the OTLP sink received while one variant ran.
type sinkStats struct {
	Requests int64 `json:"export_requests"`
	Bytes    int64 `json:"bytes"`
}

// otlpSink serves OTLP/HTTP trace exports on addr and discards them, answering each with an
// empty ExportTraceServiceResponse (zero protobuf bytes), so exporting costs the services
// what it costs against a real collector, minus the collector. GET /stats reports the counts.
// Written here rather than run as a collector: the bench needs nothing but the HTTP answer.
func otlpSink(addr string) error {
	var requests, bytes atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		requests.Add(1)
		bytes.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(sinkStats{requests.Load(), bytes.Load()})
	})
	return serveUntilSignal(addr, mux)
}

// runTracingVariant drives only the HTTP path, as run does (warm-up, fixed concurrency with
// the services' CPU, fixed rate), and writes the variant's row for the main run to read.
func runTracingVariant(ctx context.Context, o options) error {
	client, c, err := readyHTTPScore(ctx, o)
	if err != nil {
		return err
	}
	// Errors of the phases still leave the row written, counted in it, and then fail the run.
	var errs []error
	err = runRowToFile(ctx, o.workerMetrics, o.tracingOut, func(ctx context.Context) (any, error) {
		before, err := readSinkStats(ctx, client, o.otlpSink)
		if err != nil {
			return nil, err
		}
		pids := map[string]int{"worker": o.workerPID, "orchestrator": o.orchestratorPID}
		var closed, open []phase
		for run := range o.runs {
			fmt.Fprintf(os.Stderr, "loadgen: tracing %s: run %d/%d\n", o.tracingVariant, run+1, o.runs)
			closedLoop(ctx, c, o.concurrency, o.warmup)
			t0 := cpuTimes(pids)
			p := closedLoop(ctx, c, o.concurrency, o.duration)
			p.cpu = cpuSince(t0, pids)
			closed = append(closed, p)
			open = append(open, openLoop(ctx, c, o.rate, o.duration, o.maxInFlight))
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		for _, p := range append(closed, open...) {
			if p.firstErr != nil {
				errs = append(errs, fmt.Errorf("tracing %s: %d errors, first: %w", o.tracingVariant, p.errors, p.firstErr))
			}
		}
		after, err := readSinkStats(ctx, client, o.otlpSink)
		if err != nil {
			return nil, err
		}
		f := figures(closed, open, o.concurrency, 1, o.rate)
		return tracingRow{
			Variant: o.tracingVariant, Sampler: o.tracingSampler, MaxPerSecond: f.Closed.PerSecond,
			P50: f.Open.P50, P99: f.Open.P99, Errors: f.Closed.Errors + f.Open.Errors,
			CPUPerRequest: round3(f.Closed.CPUPerRequest["orchestrator"] + f.Closed.CPUPerRequest["worker"]),
			Sink:          sinkStats{after.Requests - before.Requests, after.Bytes - before.Bytes},
			Runs:          o.runs, Figures: []targetFigures{f},
		}, nil
	})
	return errors.Join(append(errs, err)...)
}

// readSinkStats asks the sink what it received so far; no sink (tracing off) reads as zero.
func readSinkStats(ctx context.Context, client *http.Client, base string) (sinkStats, error) {
	var s sinkStats
	if base == "" {
		return s, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/stats", nil)
	if err != nil {
		return s, err
	}
	res, err := client.Do(req)
	if err != nil {
		return s, fmt.Errorf("OTLP sink: %w", err)
	}
	defer res.Body.Close()
	return s, json.NewDecoder(res.Body).Decode(&s)
}

// readTracingRows reads the variants' runs (bench.sh alternates off, sampled and always run by
// run; the first variant is the baseline) and folds each variant's runs into one row:
// medians of the figures, sums of errors and exports, and ratios to the baseline that are
// medians of the per-run ratios, since run i of every variant met the same moment of the
// machine.
func readTracingRows(files string) ([]tracingRow, error) {
	runs, err := readRows[tracingRow](files)
	if err != nil {
		return nil, err
	}
	order, groups := byVariant(runs, func(r tracingRow) string { return r.Variant })
	return tracingRows(order, groups), nil
}

func tracingRows(order []string, groups map[string][]tracingRow) []tracingRow {
	var (
		perSecond = func(r tracingRow) float64 { return r.MaxPerSecond }
		p99       = func(r tracingRow) float64 { return r.P99 }
		cpu       = func(r tracingRow) float64 { return r.CPUPerRequest }
	)
	off := groups[order[0]]
	rows := make([]tracingRow, 0, len(order))
	for _, v := range order {
		runs := groups[v]
		row := tracingRow{
			Variant: v, Sampler: runs[0].Sampler,
			MaxPerSecond: medianBy(runs, perSecond), P99: medianBy(runs, p99), CPUPerRequest: medianBy(runs, cpu),
			P50:             medianBy(runs, func(r tracingRow) float64 { return r.P50 }),
			ThroughputRatio: pairedRatio(runs, off, perSecond), P99Ratio: pairedRatio(runs, off, p99),
			CPURatio: pairedRatio(runs, off, cpu),
		}
		for _, r := range runs {
			row.Runs += r.Runs
			row.Errors += r.Errors
			row.Sink.Requests += r.Sink.Requests
			row.Sink.Bytes += r.Sink.Bytes
			row.Figures = append(row.Figures, r.Figures...)
		}
		rows = append(rows, row)
	}
	return rows
}

// writeTracing prints the tracing overhead table of the summary.
func (r *results) writeTracing(w io.Writer) {
	if len(r.Tracing) == 0 {
		if r.TracingNote != "" {
			fmt.Fprintf(w, "\ntracing overhead: %s\n", r.TracingNote)
		}
		return
	}
	fmt.Fprintf(w, "\ntracing overhead, HTTP->Go->gRPC->Rust (spans exported over OTLP/HTTP to a discarding sink)\n")
	fmt.Fprintf(w, "  %-8s %-30s %10s %8s %8s %10s | %7s %7s %7s %9s %7s\n", "variant", "sampler", "max req/s", "p50 ms", "p99 ms",
		"cpu us/req", "x req/s", "x p99", "x cpu", "exports", "errors")
	for _, t := range r.Tracing {
		fmt.Fprintf(w, "  %-8s %-30s %10.0f %8.3f %8.3f %10.1f | %7.3f %7.3f %7.3f %9d %7d\n", t.Variant, t.Sampler, t.MaxPerSecond, t.P50, t.P99,
			t.CPUPerRequest, t.ThroughputRatio, t.P99Ratio, t.CPURatio, t.Sink.Requests, t.Errors)
	}
}
