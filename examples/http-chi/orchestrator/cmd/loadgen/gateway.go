package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// The grpc-gateway comparison: the same single-score POST /v1/score through the orchestrator
// and through cmd/gateway, a grpc-gateway reverse proxy generated from the same contract.
// scripts/bench.sh alternates the servers run by run, each on freshly started services, and
// this file measures one run (runGatewayVariant) or reads them all back (readGatewayRows).

// gatewayBaseline is the variant the others are weighed against.
const gatewayBaseline = "grpc-gateway"

// gatewayTargetVariant is the orchestrator as it ships: COALESCE defaults to on.
const gatewayTargetVariant = "orchestrator-coalesce-on"

// gatewayRun is one variant's run at fixed concurrency.
type gatewayRun struct {
	Variant   string  `json:"variant"`
	PerSecond float64 `json:"requests_per_s"`
	// ServerCPU is the HTTP server's (orchestrator or gateway) CPU per request, WorkerCPU the
	// worker's, in microseconds.
	ServerCPU float64 `json:"server_cpu_us_per_request"`
	WorkerCPU float64 `json:"worker_cpu_us_per_request"`
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
}

// gatewayRow is a variant's runs as medians, and its server CPU against grpc-gateway's.
type gatewayRow struct {
	Variant       string    `json:"variant"`
	Runs          int       `json:"runs"`
	PerSecond     float64   `json:"requests_per_s"`
	ServerCPU     float64   `json:"server_cpu_us_per_request"`
	ServerCPURuns []float64 `json:"server_cpu_us_per_request_runs"`
	WorkerCPU     float64   `json:"worker_cpu_us_per_request"`
	Requests      int       `json:"requests"`
	Errors        int       `json:"errors"`
	VsGateway     float64   `json:"server_cpu_vs_grpc_gateway"`
}

// runGatewayVariant drives POST /v1/score on one server at fixed concurrency for one run
// and writes the run's figures to o.gatewayOut. -orchestrator-pid is that server's process.
func runGatewayVariant(ctx context.Context, o options) error {
	if o.orchestratorPID <= 0 {
		return errors.New("-gateway-variant needs -orchestrator-pid, the server's process")
	}
	_, c, err := readyHTTPScore(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "loadgen: grpc-gateway comparison: %s\n", o.gatewayVariant)
	// Errors of the run still leave its figures written, counted in them, and then fail it.
	var errs []error
	err = runRowToFile(ctx, o.workerMetrics, o.gatewayOut, func(ctx context.Context) (any, error) {
		pids := map[string]int{"server": o.orchestratorPID, "worker": o.workerPID}
		closedLoop(ctx, c, o.concurrency, o.warmup)
		t0 := cpuTimes(pids)
		p := closedLoop(ctx, c, o.concurrency, o.duration)
		p.cpu = cpuSince(t0, pids)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, ok := p.cpu["server"]; !ok {
			return nil, fmt.Errorf("no CPU time for process %d (needs Linux /proc)", o.orchestratorPID)
		}
		if p.firstErr != nil {
			errs = append(errs, fmt.Errorf("%s: %d errors, first: %w", o.gatewayVariant, p.errors, p.firstErr))
		}
		ok := float64(max(p.requests-p.errors, 1))
		return gatewayRun{
			Variant: o.gatewayVariant, PerSecond: round3(p.perSecond()),
			ServerCPU: round3(p.cpu["server"].Seconds() * 1e6 / ok), WorkerCPU: round3(p.cpu["worker"].Seconds() * 1e6 / ok),
			Requests: p.requests, Errors: p.errors,
		}, nil
	})
	return errors.Join(append(errs, err)...)
}

// readGatewayRows reads the runs' files and makes one row per variant, in the order the
// variants first appear, each with its medians and its ratio to grpc-gateway's server CPU.
func readGatewayRows(files string) ([]gatewayRow, error) {
	runs, err := readRows[gatewayRun](files)
	if err != nil {
		return nil, err
	}
	order, groups := byVariant(runs, func(r gatewayRun) string { return r.Variant })
	return gatewayRows(order, groups), nil
}

func gatewayRows(order []string, groups map[string][]gatewayRun) []gatewayRow {
	rows := make([]gatewayRow, 0, len(order))
	// The variants' runs alternate on fresh services, so run i of each shares a moment of the
	// machine: the ratio to grpc-gateway is the median of the per-run ratios.
	var base []float64
	for _, v := range order {
		runs := groups[v]
		row := gatewayRow{
			Variant: v, Runs: len(runs),
			PerSecond: medianBy(runs, func(r gatewayRun) float64 { return r.PerSecond }),
			ServerCPU: medianBy(runs, func(r gatewayRun) float64 { return r.ServerCPU }),
			WorkerCPU: medianBy(runs, func(r gatewayRun) float64 { return r.WorkerCPU }),
		}
		for _, r := range runs {
			row.ServerCPURuns = append(row.ServerCPURuns, r.ServerCPU)
			row.Requests += r.Requests
			row.Errors += r.Errors
		}
		if v == gatewayBaseline {
			base = row.ServerCPURuns
		}
		rows = append(rows, row)
	}
	for i := range rows {
		rows[i].VsGateway = round3(medianRatio(rows[i].ServerCPURuns, base))
	}
	return rows
}

// gatewayCheck is the targets row: the orchestrator as it ships (coalescing on) against
// grpc-gateway, server CPU per request, judged unrounded. ok is false when either was not
// measured; a side whose calls failed is measured but not met.
func gatewayCheck(rows []gatewayRow) (ratio float64, met, ok bool) {
	var on, gw *gatewayRow
	for i := range rows {
		switch rows[i].Variant {
		case gatewayTargetVariant:
			on = &rows[i]
		case gatewayBaseline:
			gw = &rows[i]
		}
	}
	if on == nil || gw == nil {
		return 0, false, false
	}
	ratio = medianRatio(on.ServerCPURuns, gw.ServerCPURuns)
	return ratio, ratio > 0 && ratio <= 1.0 && on.Errors == 0 && gw.Errors == 0, true
}

// writeGateway prints the comparison of the summary.
func (r *results) writeGateway(w io.Writer) {
	if len(r.Gateway) == 0 {
		return
	}
	fmt.Fprintf(w, "\norchestrator vs grpc-gateway, POST /v1/score, c=%d, runs alternated on fresh services; the target uses COALESCE=on, the default\n", r.Settings.Concurrency)
	fmt.Fprintf(w, "  %-26s %5s %10s %14s %14s %10s %7s\n", "server", "runs", "req/s", "server us/req", "worker us/req", "x gateway", "errors")
	for _, g := range r.Gateway {
		fmt.Fprintf(w, "  %-26s %5d %10.0f %14.1f %14.1f %10.3f %7d\n", g.Variant, g.Runs, g.PerSecond, g.ServerCPU, g.WorkerCPU, g.VsGateway, g.Errors)
	}
}
