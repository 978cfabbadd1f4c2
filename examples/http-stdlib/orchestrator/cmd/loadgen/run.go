package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// target is one kind of request under load; items is how many scores one request asks for;
// rate is its fixed-rate phase's (0: it has none, only the fixed-concurrency one); set files
// its figures in the results.
type target struct {
	name  string
	call  call
	items int
	rate  float64
	set   func(targetFigures)
}

func run(ctx context.Context, o options) error {
	reqs, err := loadRequests(o.vectors)
	if err != nil {
		return err
	}
	r := &results{Preset: o.preset, Memory: map[string]mem{}, Settings: settings{
		DurationS: o.duration.Seconds(), WarmupS: o.warmup.Seconds(), Runs: o.runs, Concurrency: o.concurrency,
		Rate: o.rate, BatchSize: o.batchSize, BatchRate: o.batchRate, GOMAXPROCS: runtime.GOMAXPROCS(0),
		Transport: transportOf(o.worker), Pinning: o.pinning,
	}}

	variants, err := readVariants(r, o)
	if err != nil {
		return err
	}

	if o.goModel != "" {
		r.Model.Go, err = readModelRounds(o.goModel, "go")
	} else {
		// The model first, while the services sit idle and the machine is quiet.
		fmt.Fprintln(os.Stderr, "loadgen: model scoring on one core (Go baseline)")
		r.Model.Go, err = benchGoModel(o.model, reqs, o.modelRound, o.runs)
	}
	if err != nil {
		return err
	}
	if o.rustModel != "" {
		if r.Model.Rust, err = readModelRounds(o.rustModel, "rust"); err != nil {
			return err
		}
		r.Model.compare()
	}
	if o.modelMemory != "" {
		if r.ModelMemory, err = readModelMemory(o.modelMemory); err != nil {
			return err
		}
	}

	conn, err := dialWorker(o.worker)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := waitServing(ctx, conn, time.Minute, service{"worker", o.workerPID}); err != nil {
		return err
	}
	// Read before any load, and again after the last, so every refusal of the run counts.
	connections := watchConnections(ctx, o.workerMetrics)
	httpClient := newHTTPClient(o.concurrency)
	batch, err := batchCall(conn, batchOf(reqs, o.batchSize))
	if err != nil {
		return err
	}
	targets := []target{
		{fmt.Sprintf("gRPC Score @%g/s", o.rate), scoreCall(conn, reqs), 1, o.rate, func(f targetFigures) { r.Direct.Score = f }},
		{fmt.Sprintf("gRPC ScoreBatch x%d @%g/s", o.batchSize, o.batchRate), batch, o.batchSize, o.batchRate, func(f targetFigures) { r.Direct.Batch = f }},
	}
	// Closed loop only: the verdict needs this one's CPU per call, not its latency.
	targets = append(targets, target{name: fmt.Sprintf("gRPC ScoreBatch x%d, generated client", o.batchSize),
		call: batchScoreCall(conn, batchOf(reqs, o.batchSize)), items: o.batchSize, set: func(f targetFigures) { r.Direct.BatchClient = &f.Closed }})
	var httpBatch call
	if o.http != "" {
		if err := waitReady(ctx, httpClient, o.http+"/readyz", time.Minute, service{"orchestrator", o.orchestratorPID}, service{"worker", o.workerPID}); err != nil {
			return err
		}
		c, err := httpScoreCall(httpClient, o.http, reqs)
		if err != nil {
			return err
		}
		targets = append(targets, target{fmt.Sprintf("HTTP->Go->gRPC->Rust @%g/s", o.rate), c, 1, o.rate, func(f targetFigures) { r.E2E = &f }})
		// The batch route, for the overload row through the orchestrator: its peak and unloaded p99.
		if httpBatch, err = httpBatchCall(httpClient, o.http, batchOf(reqs, o.batchSize)); err != nil {
			return err
		}
		targets = append(targets, target{fmt.Sprintf("HTTP batch x%d @%g/s", o.batchSize, o.batchRate), httpBatch, o.batchSize, o.batchRate, func(f targetFigures) { r.E2EBatch = &f }})
		if o.httpFloor != "" {
			if err := waitReady(ctx, httpClient, o.httpFloor+"/readyz", time.Minute, service{"http-floor", o.httpFloorPID}); err != nil {
				return err
			}
			c, err := httpScoreCall(httpClient, o.httpFloor, reqs)
			if err != nil {
				return err
			}
			targets = append(targets, target{fmt.Sprintf("HTTP floor, no work @%g/s", o.rate), c, 1, o.rate, func(f targetFigures) { r.HTTPFloor = &f }})
		}
	} else {
		r.E2ENote = "end to end (HTTP -> Go -> gRPC -> Rust) needs the HTTP preset; this repo's ingress is " + o.preset
	}
	if o.workerAlt != "" {
		alt, err := dialWorker(o.workerAlt)
		if err != nil {
			return err
		}
		defer alt.Close()
		if err := waitServing(ctx, alt, time.Minute, service{"worker-alt", o.workerAltPID}); err != nil {
			return err
		}
		r.Settings.OtherTransport = transportOf(o.workerAlt)
		targets = append(targets, target{fmt.Sprintf("gRPC Score over %s @%g/s", r.Settings.OtherTransport, o.rate), scoreCall(alt, reqs), 1, o.rate, func(f targetFigures) { r.Direct.Other = &f }})
	}

	// Idle memory: both services up and ready, nothing sent yet but health checks.
	pids := map[string]int{"worker": o.workerPID, "orchestrator": o.orchestratorPID}
	var sampled []int
	for name, pid := range pids {
		if pid > 0 {
			kb, err := rssKB(pid)
			if err != nil {
				return fmt.Errorf("%s memory: %w", name, err)
			}
			r.Memory[name] = mem{Idle: kb}
			sampled = append(sampled, pid)
		}
	}
	peaks := samplePeaks(sampled, 100*time.Millisecond)

	pids["loadgen"] = 0 // this process, for the CPU split only
	if o.workerAltPID > 0 {
		pids["worker-alt"] = o.workerAltPID
	}
	if o.httpFloorPID > 0 {
		pids["http-floor"] = o.httpFloorPID
	}
	var floor []phase
	closed := make([][]phase, len(targets))
	open := make([][]phase, len(targets))
	for run := range o.runs {
		// Runs interleave the targets, so a noisy moment on the machine hits all of them alike.
		for i, t := range targets {
			fmt.Fprintf(os.Stderr, "loadgen: run %d/%d: %s\n", run+1, o.runs, t.name)
			closedLoop(ctx, t.call, o.concurrency, o.warmup)
			before := cpuTimes(pids)
			p := closedLoop(ctx, t.call, o.concurrency, o.duration)
			p.cpu = cpuSince(before, pids)
			closed[i] = append(closed[i], p)
			if t.rate > 0 {
				open[i] = append(open[i], openLoop(ctx, t.call, t.rate, o.duration, o.maxInFlight))
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// The same schedule with nothing sent: what this machine and loadgen's own timing
		// add to every latency above, so a tail can be told apart from the services'.
		floor = append(floor, openLoop(ctx, func(context.Context) error { return nil }, o.rate, o.duration, o.maxInFlight))
	}
	peak := peaks.finish()
	for name, pid := range pids {
		if m, ok := r.Memory[name]; ok {
			m.Load = max(peak[pid], m.Idle)
			r.Memory[name] = m
		}
	}

	var chart []series
	var errs []error
	for i, t := range targets {
		t.set(figures(closed[i], open[i], o.concurrency, t.items, t.rate))
		var pooled []time.Duration
		for _, p := range open[i] {
			pooled = append(pooled, p.latencies...)
			if p.firstErr != nil {
				errs = append(errs, fmt.Errorf("%s: %d errors, first: %w", t.name, p.errors, p.firstErr))
			}
		}
		for _, p := range closed[i] {
			if p.firstErr != nil {
				errs = append(errs, fmt.Errorf("%s (fixed concurrency): %d errors, first: %w", t.name, p.errors, p.firstErr))
			}
		}
		if t.rate > 0 {
			chart = append(chart, series{t.name, sortedCopy(pooled)})
		}
	}
	r.Floor = figures(nil, floor, 0, 0, o.rate).Open
	var pooled []time.Duration
	for _, p := range floor {
		pooled = append(pooled, p.latencies...)
	}
	chart = append(chart, series{fmt.Sprintf("no-op @%g/s: loadgen and machine floor", o.rate), sortedCopy(pooled)})
	// Last, as they leave the worker with a backlog.
	httpOverload := func() (call, error) {
		// A client of its own with room for every call in flight, so loadgen opens no connection per call.
		return httpBatchCall(newHTTPClient(o.maxInFlight), o.http, batchOf(reqs, o.batchSize))
	}
	if err := runOverloads(ctx, r, batch, httpOverload, o, pids); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "loadgen: burst, %d clients x %d full batches\n", burstClients, burstBatches)
	time.Sleep(backlogDrainPause)
	burst, err := runBurst(ctx, o.worker, o.workerMetrics)
	if err != nil {
		return err
	}
	r.Burst = &burst
	r.WorkerConnections = connections.done(ctx).plus(variants)
	r.Verdict = verdictFor(r)
	r.checks()
	return errors.Join(append(errs, write(o.out, r, chart))...)
}

func write(dir string, r *results, chart []series) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	summary, err := os.Create(filepath.Join(dir, "summary.txt"))
	if err != nil {
		return err
	}
	r.writeSummary(summary)
	r.writeSummary(os.Stdout)
	title := fmt.Sprintf("Latency at a fixed request rate (open loop, %d run(s) pooled)", r.Settings.Runs)
	var verdictChart error
	if bars := verdictBars(r.Verdict, r.Gateway); len(bars) > 0 {
		verdictChart = os.WriteFile(filepath.Join(dir, "verdict.svg"),
			barsSVG("CPU per request by path (medians of this run)", "CPU microseconds per request (per item in a batch)", bars), 0o644)
	}
	return errors.Join(summary.Close(), verdictChart,
		os.WriteFile(filepath.Join(dir, "results.json"), append(data, '\n'), 0o644),
		os.WriteFile(filepath.Join(dir, "latency.svg"), latencySVG(title, chart, 2), 0o644),
		os.WriteFile(filepath.Join(dir, "verdict.md"), []byte(r.Verdict.markdown(&r.Overload)), 0o644))
}
