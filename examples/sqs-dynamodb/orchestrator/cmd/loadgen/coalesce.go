package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
)

// coalesceRow is the HTTP path with the orchestrator's coalescing off or on (COALESCE): what
// sharing ScoreBatch calls among concurrent single requests buys in throughput, and costs in
// latency at a rate the services keep up with.
type coalesceRow struct {
	Variant string `json:"variant"`
	// MaxPerSecond is the fixed-concurrency throughput; P50/P99 are at the fixed rate.
	MaxPerSecond float64 `json:"max_requests_per_s"`
	P50          float64 `json:"p50_ms"`
	P99          float64 `json:"p99_ms"`
	// CPUPerRequest is the orchestrator's plus the worker's CPU per request, in microseconds.
	CPUPerRequest float64 `json:"cpu_us_per_request"`
	// MeanBatch is the mean of orchestrator_coalesced_batch_size over the fixed-concurrency
	// phases: requests per worker call (1 with coalescing off).
	MeanBatch float64 `json:"mean_requests_per_worker_call"`
	Errors    int     `json:"errors"`
	// Ratios to the "off" row (1 for the row itself): medians of the per-run ratios.
	ThroughputRatio float64 `json:"max_requests_per_s_vs_off"`
	P99Ratio        float64 `json:"p99_vs_off"`
	// Runs is how many runs the row's figures are medians over; Figures holds each
	// loadgen -coalesce-variant invocation's own figures (one per run as bench.sh calls it).
	Runs    int             `json:"runs"`
	Figures []targetFigures `json:"figures"`
}

// runCoalesceVariant drives only the HTTP path, as runTracingVariant does, and writes the
// variant's row for the main run to read.
func runCoalesceVariant(ctx context.Context, o options) error {
	client, c, err := readyHTTPScore(ctx, o)
	if err != nil {
		return err
	}
	// Errors of the phases still leave the row written, counted in it, and then fail the run.
	var errs []error
	err = runRowToFile(ctx, o.workerMetrics, o.coalesceOut, func(ctx context.Context) (any, error) {
		pids := map[string]int{"worker": o.workerPID, "orchestrator": o.orchestratorPID}
		var closed, open []phase
		var sum, count float64
		for run := range o.runs {
			fmt.Fprintf(os.Stderr, "loadgen: coalescing %s: run %d/%d\n", o.coalesceVariant, run+1, o.runs)
			closedLoop(ctx, c, o.concurrency, o.warmup)
			s0, n0, err := coalescedBatches(ctx, client, o.http)
			if err != nil {
				return nil, err
			}
			t0 := cpuTimes(pids)
			p := closedLoop(ctx, c, o.concurrency, o.duration)
			p.cpu = cpuSince(t0, pids)
			s1, n1, err := coalescedBatches(ctx, client, o.http)
			if err != nil {
				return nil, err
			}
			sum, count = sum+s1-s0, count+n1-n0
			closed = append(closed, p)
			open = append(open, openLoop(ctx, c, o.rate, o.duration, o.maxInFlight))
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		for _, p := range append(closed, open...) {
			if p.firstErr != nil {
				errs = append(errs, fmt.Errorf("coalescing %s: %d errors, first: %w", o.coalesceVariant, p.errors, p.firstErr))
			}
		}
		f := figures(closed, open, o.concurrency, 1, o.rate)
		row := coalesceRow{
			Variant: o.coalesceVariant, MaxPerSecond: f.Closed.PerSecond, P50: f.Open.P50, P99: f.Open.P99,
			CPUPerRequest: round3(f.Closed.CPUPerRequest["orchestrator"] + f.Closed.CPUPerRequest["worker"]),
			Errors:        f.Closed.Errors + f.Open.Errors, Runs: o.runs, Figures: []targetFigures{f},
		}
		if count > 0 {
			row.MeanBatch = round3(sum / count)
		}
		return row, nil
	})
	return errors.Join(append(errs, err)...)
}

// coalescedBatches reads the orchestrator's orchestrator_coalesced_batch_size sum and count
// (every worker's) from its /metrics; both are zero while it has made no call.
func coalescedBatches(ctx context.Context, client *http.Client, base string) (sum, count float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, 0, err
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("orchestrator metrics: %w", err)
	}
	defer res.Body.Close()
	return parseSumCount(res.Body, telemetry.OrchestratorCoalescedBatchSize)
}

// parseSumCount adds up a histogram's _sum and _count samples in Prometheus' text format.
func parseSumCount(r io.Reader, name string) (sum, count float64, err error) {
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		line := lines.Text()
		var into *float64
		switch {
		case strings.HasPrefix(line, name+"_sum"):
			into = &sum
		case strings.HasPrefix(line, name+"_count"):
			into = &count
		default:
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%q: %w", line, err)
		}
		*into += v
	}
	return sum, count, lines.Err()
}

// readCoalesceRows reads the variants' runs (bench.sh alternates off and on run by run; off
// is the baseline) and folds each variant's runs into one row, as readTracingRows does.
func readCoalesceRows(files string) ([]coalesceRow, error) {
	runs, err := readRows[coalesceRow](files)
	if err != nil {
		return nil, err
	}
	order, groups := byVariant(runs, func(r coalesceRow) string { return r.Variant })
	return coalesceRows(order, groups), nil
}

func coalesceRows(order []string, groups map[string][]coalesceRow) []coalesceRow {
	var (
		perSecond = func(r coalesceRow) float64 { return r.MaxPerSecond }
		p99       = func(r coalesceRow) float64 { return r.P99 }
	)
	off := groups[order[0]]
	rows := make([]coalesceRow, 0, len(order))
	for _, v := range order {
		runs := groups[v]
		row := coalesceRow{
			Variant: v, MaxPerSecond: medianBy(runs, perSecond), P99: medianBy(runs, p99),
			P50:             medianBy(runs, func(r coalesceRow) float64 { return r.P50 }),
			CPUPerRequest:   medianBy(runs, func(r coalesceRow) float64 { return r.CPUPerRequest }),
			MeanBatch:       medianBy(runs, func(r coalesceRow) float64 { return r.MeanBatch }),
			ThroughputRatio: pairedRatio(runs, off, perSecond), P99Ratio: pairedRatio(runs, off, p99),
		}
		for _, r := range runs {
			row.Runs += r.Runs
			row.Errors += r.Errors
			row.Figures = append(row.Figures, r.Figures...)
		}
		rows = append(rows, row)
	}
	return rows
}

// writeCoalescing prints the coalescing comparison of the summary.
func (r *results) writeCoalescing(w io.Writer) {
	if len(r.Coalescing) == 0 {
		return
	}
	fmt.Fprintf(w, "\ncoalescing, HTTP->Go->gRPC->Rust single requests (COALESCE=off, then on; c=%d)\n", r.Settings.Concurrency)
	fmt.Fprintf(w, "  %-8s %10s %8s %8s %10s %9s | %7s %7s %7s\n", "variant", "max req/s", "p50 ms", "p99 ms", "cpu us/req", "req/call", "x req/s", "x p99", "errors")
	for _, c := range r.Coalescing {
		fmt.Fprintf(w, "  %-8s %10.0f %8.3f %8.3f %10.1f %9.2f | %7.3f %7.3f %7d\n", c.Variant, c.MaxPerSecond, c.P50, c.P99,
			c.CPUPerRequest, c.MeanBatch, c.ThroughputRatio, c.P99Ratio, c.Errors)
	}
}
