package main

import (
	"fmt"
	"io"
	"strings"
)

// figures turns the runs of one target into medians.
func figures(closed, open []phase, concurrency, items int, rate float64) targetFigures {
	f := targetFigures{}
	f.Closed.Concurrency = concurrency
	for _, p := range closed {
		f.Closed.Runs = append(f.Closed.Runs, round3(p.perSecond()))
		f.Closed.Errors += p.errors
		f.Closed.Shed += p.shed
	}
	f.Closed.PerSecond = median(f.Closed.Runs)
	for name := range closedCPU(closed) {
		f.Closed.CPUPerRequest = cmpOr(f.Closed.CPUPerRequest)
		f.Closed.CPUPerRequest[name] = round3(medianBy(closed, func(p phase) float64 {
			return p.cpu[name].Seconds() * 1e6 / float64(max(p.requests-p.errors, 1))
		}))
	}
	f.Closed.ItemsPerSec = f.Closed.PerSecond * float64(items)
	f.Open.Rate = rate
	f.Open.Achieved = round3(medianBy(open, phase.perSecond))
	sums := make([]latencyFigures, len(open))
	for i, p := range open {
		sums[i] = summarize(p.latencies)
		f.Open.P99Runs = append(f.Open.P99Runs, sums[i].P99)
		f.Open.Errors += p.errors
	}
	f.Open.P50 = medianBy(sums, func(s latencyFigures) float64 { return s.P50 })
	f.Open.P90 = medianBy(sums, func(s latencyFigures) float64 { return s.P90 })
	f.Open.P99 = medianBy(sums, func(s latencyFigures) float64 { return s.P99 })
	f.Open.Max = medianBy(sums, func(s latencyFigures) float64 { return s.Max })
	return f
}

// checks compares the figures with the targets the generated services are tuned for.
func (r *results) checks() {
	add := func(name string, value float64, target string, met bool) {
		r.Targets = append(r.Targets, check{name, round3(value), target, met})
	}
	if r.E2E != nil && r.Direct.Score.Closed.PerSecond > 0 {
		// A figure measured while calls failed is not the service's: failed calls are not
		// counted as throughput, and answered fast they would shorten the tail.
		clean := func(f targetFigures) bool { return f.Closed.Errors == 0 && f.Open.Errors == 0 }
		ratio := medianRatio(r.E2E.Closed.Runs, r.Direct.Score.Closed.Runs)
		add("e2e throughput / direct gRPC throughput", ratio, fmt.Sprintf(">= %g", e2eThroughputTarget),
			ratio >= e2eThroughputTarget && clean(*r.E2E) && clean(r.Direct.Score))
		if p, ok := ownCoresOf(r.Direct.Score, *r.E2E); ok {
			r.OwnCores = &p
		}
		add("e2e p99 at fixed rate, ms", r.E2E.Open.P99, "<= 2", r.E2E.Open.P99 <= 2 && clean(*r.E2E))
		// The ceiling sums CPU over shared cores; pinned processes are each bound by their own.
		if r.HTTPFloor != nil && !strings.HasPrefix(r.Settings.Pinning, "pinned") {
			c := ceilingOf(r.Direct.Score, *r.HTTPFloor, *r.E2E)
			r.E2ECeiling = &c
		}
	}
	if m, ok := r.Memory["worker"]; ok {
		add("worker idle RSS, MiB", float64(m.Idle)/1024, "<= 10", m.Idle <= 10*1024)
	}
	if m, ok := r.Memory["orchestrator"]; ok {
		add("orchestrator idle RSS, MiB", float64(m.Idle)/1024, "<= 25", m.Idle <= 25*1024)
	}
	if r.Model.Rust.BatchItems > 0 {
		add("Rust / Go batch scoring per core ("+r.Model.Pair+")", r.Model.BatchRatio, ">= 2", r.Model.batchRatio >= 2)
	}
	if ratio, met, ok := gatewayCheck(r.Gateway); ok {
		add("orchestrator / grpc-gateway CPU per request", ratio, "<= 1.0", met)
	}
	if r.ModelMemory != nil {
		r.ModelMemory.checks(add)
	}
	r.Overload.checks(add)
	if r.Burst != nil {
		r.Burst.checks(add)
	}
	if r.WorkerConnections != nil {
		r.WorkerConnections.checks(add)
	}
}

// writeSummary prints the human-readable version of results.json.
func (r *results) writeSummary(w io.Writer) {
	s := r.Settings
	fmt.Fprintf(w, "Benchmark (%s preset): %d run(s) of %gs per phase, medians; loopback %s, loadgen GOMAXPROCS=%d, %s\n\n", r.Preset, s.Runs, s.DurationS, s.Transport, s.GOMAXPROCS, s.Pinning)
	fmt.Fprintf(w, "%-34s %12s %10s | %10s %8s %8s %8s %8s %7s\n", "target", "closed req/s", "items/s", "open req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors")
	row := func(name string, f targetFigures) {
		fmt.Fprintf(w, "%-34s %12.0f %10.0f | %10.0f %8.3f %8.3f %8.3f %8.3f %7d\n", name, f.Closed.PerSecond, f.Closed.ItemsPerSec,
			f.Open.Rate, f.Open.P50, f.Open.P90, f.Open.P99, f.Open.Max, f.Closed.Errors+f.Open.Errors)
	}
	row(fmt.Sprintf("gRPC Score (c=%d)", s.Concurrency), r.Direct.Score)
	row(fmt.Sprintf("gRPC ScoreBatch x%d (c=%d)", s.BatchSize, s.Concurrency), r.Direct.Batch)
	if r.Direct.Other != nil {
		row(fmt.Sprintf("gRPC Score over %s (c=%d)", s.OtherTransport, s.Concurrency), *r.Direct.Other)
	}
	if r.E2E != nil {
		row(fmt.Sprintf("HTTP->Go->gRPC->Rust (c=%d)", s.Concurrency), *r.E2E)
	} else {
		fmt.Fprintf(w, "%-34s %s\n", "HTTP->Go->gRPC->Rust", r.E2ENote)
	}
	if r.E2EBatch != nil {
		row(fmt.Sprintf("HTTP batch x%d (c=%d)", s.BatchSize, s.Concurrency), *r.E2EBatch)
	}
	if r.HTTPFloor != nil {
		row(fmt.Sprintf("HTTP floor, no work (c=%d)", s.Concurrency), *r.HTTPFloor)
	}
	fmt.Fprintf(w, "%-34s %12s %10s | %10.0f %8.3f %8.3f %8.3f %8.3f %7d\n", "no-op (loadgen + machine floor)", "-", "-",
		r.Floor.Rate, r.Floor.P50, r.Floor.P90, r.Floor.P99, r.Floor.Max, r.Floor.Errors)
	fmt.Fprintf(w, "\nCPU per request at fixed concurrency (microseconds)\n")
	cpu := func(name string, f targetFigures, path []string) {
		if len(f.Closed.CPUPerRequest) == 0 {
			return
		}
		fmt.Fprintf(w, "  %-32s", name)
		for _, p := range path {
			if v, ok := f.Closed.CPUPerRequest[p]; ok {
				fmt.Fprintf(w, " %s %6.1f ", p, v)
			}
		}
		fmt.Fprintf(w, " total %6.1f\n", cpuSum(f, path))
	}
	cpu("gRPC Score", r.Direct.Score, servicePath)
	cpu(fmt.Sprintf("gRPC ScoreBatch x%d", s.BatchSize), r.Direct.Batch, servicePath)
	if r.Direct.BatchClient != nil {
		cpu("  same, generated client", targetFigures{Closed: *r.Direct.BatchClient}, servicePath)
	}
	if r.E2E != nil {
		cpu("HTTP->Go->gRPC->Rust", *r.E2E, servicePath)
	}
	if r.HTTPFloor != nil {
		cpu("HTTP floor, no work", *r.HTTPFloor, floorPath)
	}
	r.writeCeiling(w)
	if r.OwnCores != nil {
		r.OwnCores.write(w)
	}
	r.writeTracing(w)
	r.writeCoalescing(w)
	r.writeGateway(w)
	fmt.Fprintf(w, "\nresident memory (MiB)    idle   under load\n")
	for _, name := range []string{"worker", "orchestrator"} {
		if m, ok := r.Memory[name]; ok {
			fmt.Fprintf(w, "  %-20s %7.1f %12.1f\n", name, float64(m.Idle)/1024, float64(m.Load)/1024)
		}
	}
	r.Model.write(w)
	if r.ModelMemory != nil {
		r.ModelMemory.write(w)
	}
	r.Overload.write(w)
	if r.OverloadHTTP != nil {
		r.OverloadHTTP.write(w)
	}
	if r.Burst != nil {
		r.Burst.write(w)
	}
	if r.WorkerConnections != nil {
		r.WorkerConnections.write(w)
	}
	writeTargets(w, r.Targets)
	r.Verdict.write(w)
	fmt.Fprintln(w, strings.Repeat("-", 40))
}

// writeTargets prints the targets table, its values in one column whatever the names' lengths.
func writeTargets(w io.Writer, targets []check) {
	fmt.Fprintf(w, "\ntargets\n")
	width := 0
	for _, c := range targets {
		width = max(width, len(c.Name))
	}
	for _, c := range targets {
		verdict := "met"
		if !c.Met {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "  %-*s %9.3f  %-7s %s\n", width, c.Name, c.Value, c.Target, verdict)
	}
}

// closedCPU is the set of processes whose CPU time every run measured.
func closedCPU(runs []phase) map[string]bool {
	names := map[string]bool{}
	for i, p := range runs {
		for name := range p.cpu {
			if i == 0 {
				names[name] = true
			}
		}
		for name := range names {
			if _, ok := p.cpu[name]; !ok {
				delete(names, name)
			}
		}
	}
	return names
}

func cmpOr(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

// write prints the model scoring rows: as loaded, then the tree walk for information.
func (m *modelCompare) write(w io.Writer) {
	how := func(f modelFigures) string {
		if f.Compiled {
			return "compiled trees"
		}
		return "tree walk"
	}
	fmt.Fprintf(w, "\nmodel scoring, one core                  single/s   batch items/s\n")
	row := func(name string, single, batch float64) {
		fmt.Fprintf(w, "  %-34s %12.0f %15.0f\n", name, single, batch)
	}
	row("Rust worker, "+how(m.Rust), m.Rust.Single, m.Rust.BatchItems)
	row("Go baseline, "+how(m.Go), m.Go.Single, m.Go.BatchItems)
	if m.Rust.InterpretedBatchItems > 0 && m.Go.InterpretedBatchItems > 0 {
		row("Rust worker, tree walk (info)", m.Rust.InterpretedSingle, m.Rust.InterpretedBatchItems)
		row("Go baseline, tree walk (info)", m.Go.InterpretedSingle, m.Go.InterpretedBatchItems)
		fmt.Fprintf(w, "  %-34s %12.2f %15.2f\n", "Rust / Go, tree walk (info)", m.InterpretedSingleRatio, m.InterpretedBatchRatio)
	}
	fmt.Fprintf(w, "  %-34s %12.2f %15.2f   <- the target compares %s\n", "Rust / Go", m.SingleRatio, m.BatchRatio, m.Pair)
}
