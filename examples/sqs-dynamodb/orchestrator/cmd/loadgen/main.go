// Command loadgen benchmarks the running services on loopback for `make bench`
// (scripts/bench.sh starts them): direct gRPC to the worker (Score and ScoreBatch),
// end to end through the orchestrator's HTTP API when there is one, each at a fixed
// concurrency (throughput) and at a fixed rate (latency without coordinated omission);
// the services' resident memory; and single-core model scoring, Rust against a Go port.
// It writes results.json, summary.txt and latency.svg into -out and prints the summary.
//
//	loadgen -worker 127.0.0.1:50051 [-http http://127.0.0.1:8080] [flags]
//	loadgen freeport   # prints a free loopback port, for the script
//	loadgen burst -worker ADDR [-worker-metrics URL]   # the burst row alone (burst.go), as JSON
//	loadgen shed-probe -worker ADDR [flags]   # the overload row's shed probe (shedprobe.go), as JSON
//	loadgen otlp-sink 127.0.0.1:4318   # a discarding OTLP/HTTP trace sink, until SIGTERM
//	loadgen http-floor 127.0.0.1:8081   # a bare net/http server answering POST /v1/score, until SIGTERM
//	loadgen -tracing-variant NAME -tracing-out FILE -http URL [flags]   # one tracing overhead row
//	loadgen -coalesce-variant off|on -coalesce-out FILE -http URL [flags]   # one coalescing row
//	loadgen -gateway-variant NAME -gateway-out FILE -http URL -orchestrator-pid PID [flags]   # one grpc-gateway comparison run
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"time"
)

type options struct {
	worker, http, vectors, model, out, preset string
	// Model scoring per core: the rounds' files of each language, or the one Go round to write;
	// the primary worker's model_memory test's figures (modelmemory.go).
	rustModel, goModel, modelOut, modelMemory string
	duration, warmup, modelRound              time.Duration
	runs, concurrency, batchSize, maxInFlight int
	rate, batchRate                           float64
	workerPID, orchestratorPID                int
	// `loadgen http-floor` (HTTP preset): its base URL and process, for the e2e ceiling.
	httpFloor    string
	httpFloorPID int
	// The tracing overhead row (HTTP preset): one variant's run, or the variants' files.
	tracingVariant, tracingSampler, tracingOut, otlpSink, tracing string
	// The primary worker again on the other transport (verdict.go), and the cores each process got.
	workerAlt, pinning string
	workerAltPID       int
	// The primary worker's /metrics URL, for its own timing of the calls it sheds.
	workerMetrics string
	// The coalescing comparison (HTTP preset): one variant's run, or the variants' files.
	coalesceVariant, coalesceOut, coalescing string
	// The grpc-gateway comparison (HTTP preset, gateway.go): one server's run, or all runs' files.
	gatewayVariant, gatewayOut, gateway string
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "freeport" {
		port, err := freePort()
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		fmt.Println(port)
		return
	}
	// The rows the bench runs as processes of their own: `loadgen NAME [flags]`.
	rows := map[string]func([]string) error{"burst": burstCommand, probeCommand: shedProbeCommand}
	if len(os.Args) >= 2 && rows[os.Args[1]] != nil {
		if err := rows[os.Args[1]](os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		return
	}
	// The bench's helper servers, each a process of its own: `loadgen NAME ADDR`.
	servers := map[string]func(string) error{"otlp-sink": otlpSink, "http-floor": httpFloor}
	if len(os.Args) == 3 && servers[os.Args[1]] != nil {
		if err := servers[os.Args[1]](os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.worker, "worker", "127.0.0.1:50051", "worker gRPC address")
	flag.StringVar(&o.http, "http", "", "orchestrator base URL; empty skips the end-to-end figures")
	flag.StringVar(&o.preset, "preset", "http", "ingress of this repo, for the report")
	flag.StringVar(&o.vectors, "vectors", "../testdata/vectors.json", "shared test vectors: the requests sent")
	flag.StringVar(&o.model, "model", "../workers/scorer/model/model.json", "model file for the Go baseline")
	flag.StringVar(&o.rustModel, "rust-model", "", "comma-separated outputs of the worker's bench_model example, one per round")
	flag.StringVar(&o.goModel, "go-model", "", "comma-separated -model-out files, one per round (empty: the Go baseline is timed here, -runs rounds)")
	flag.StringVar(&o.modelOut, "model-out", "", "only time the Go baseline (-model, -vectors, -runs rounds of -model-round) and write its figures to this file")
	flag.StringVar(&o.modelMemory, "model-memory", "", "the worker's model_memory test's figures (MODEL_MEMORY_OUT), for the model load memory rows; empty: not measured")
	flag.StringVar(&o.out, "out", "../bench", "folder for results.json, summary.txt and latency.svg")
	flag.DurationVar(&o.duration, "duration", 2*time.Second, "length of each measured phase")
	flag.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured load before each target's phases")
	flag.DurationVar(&o.modelRound, "model-round", time.Second, "length of each model scoring round")
	flag.IntVar(&o.runs, "runs", 3, "runs of every phase; figures are medians")
	flag.IntVar(&o.concurrency, "concurrency", 32, "requests in flight in the fixed-concurrency phases")
	flag.Float64Var(&o.rate, "rate", 2000, "requests per second in the fixed-rate phases")
	flag.IntVar(&o.batchSize, "batch-size", 100, "requests per ScoreBatch call")
	flag.Float64Var(&o.batchRate, "batch-rate", 100, "ScoreBatch calls per second in its fixed-rate phase")
	flag.IntVar(&o.maxInFlight, "max-in-flight", 1000, "cap on outstanding requests in the fixed-rate phases")
	flag.IntVar(&o.workerPID, "worker-pid", 0, "worker process, for its memory (0: not measured)")
	flag.IntVar(&o.orchestratorPID, "orchestrator-pid", 0, "orchestrator process, for its memory (0: not measured)")
	flag.StringVar(&o.tracingVariant, "tracing-variant", "", "drive only the HTTP path and write this tracing variant's row to -tracing-out")
	flag.StringVar(&o.tracingSampler, "tracing-sampler", "", "the variant's sampler, for the report")
	flag.StringVar(&o.tracingOut, "tracing-out", "", "file for the variant's row")
	flag.StringVar(&o.otlpSink, "otlp-sink", "", "base URL of `loadgen otlp-sink`, for its counts (empty: no sink)")
	flag.StringVar(&o.tracing, "tracing", "", "comma-separated variant rows to report, tracing off first")
	flag.StringVar(&o.workerAlt, "worker-alt", "", "the primary worker over the other transport (unix:///path or host:port), for the verdict's hop per transport; empty: not measured")
	flag.IntVar(&o.workerAltPID, "worker-alt-pid", 0, "that worker's process, for its CPU")
	flag.StringVar(&o.workerMetrics, "worker-metrics", "", "the primary worker's /metrics URL, for its own shed timing in the overload rows (empty: not read)")
	flag.StringVar(&o.pinning, "pinning", "not pinned to cores", "how the bench pinned the processes to cores, for the report")
	flag.StringVar(&o.coalesceVariant, "coalesce-variant", "", "drive only the HTTP path and write this coalescing variant's row to -coalesce-out")
	flag.StringVar(&o.coalesceOut, "coalesce-out", "", "file for the coalescing variant's row")
	flag.StringVar(&o.coalescing, "coalescing", "", "comma-separated coalescing rows to report, coalescing off first")
	flag.StringVar(&o.gatewayVariant, "gateway-variant", "", "drive only POST /v1/score on -http (the orchestrator or cmd/gateway, process -orchestrator-pid) for one run and write it to -gateway-out")
	flag.StringVar(&o.gatewayOut, "gateway-out", "", "file for the grpc-gateway comparison run")
	flag.StringVar(&o.gateway, "gateway", "", "comma-separated grpc-gateway comparison runs to report")
	flag.StringVar(&o.httpFloor, "http-floor", "", "base URL of `loadgen http-floor`, for the e2e throughput ceiling (empty: not measured)")
	flag.IntVar(&o.httpFloorPID, "http-floor-pid", 0, "that server's process, for its CPU")
	flag.Parse()
	if o.runs < 1 || o.concurrency < 1 || o.rate <= 0 || o.batchRate <= 0 || o.batchSize < 1 || o.batchSize > 1000 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "loadgen: -runs, -concurrency, -rate, -batch-rate and -duration must be positive; -batch-size 1..1000")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	do := run
	if o.tracingVariant != "" {
		if o.http == "" || o.tracingOut == "" {
			fmt.Fprintln(os.Stderr, "loadgen: -tracing-variant needs -http and -tracing-out")
			os.Exit(2)
		}
		do = runTracingVariant
	}
	if o.coalesceVariant != "" {
		if o.http == "" || o.coalesceOut == "" {
			fmt.Fprintln(os.Stderr, "loadgen: -coalesce-variant needs -http and -coalesce-out")
			os.Exit(2)
		}
		do = runCoalesceVariant
	}
	if o.modelOut != "" {
		do = writeGoModel
	}
	if o.gatewayVariant != "" {
		if o.http == "" || o.gatewayOut == "" {
			fmt.Fprintln(os.Stderr, "loadgen: -gateway-variant needs -http and -gateway-out")
			os.Exit(2)
		}
		do = runGatewayVariant
	}
	// The fixed-rate phases pace with a sleep that blocks its P (sleep_linux.go).
	sparePacingProc()
	if err := do(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

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

	if o.tracing != "" {
		if r.Tracing, err = readTracingRows(o.tracing); err != nil {
			return err
		}
	} else if o.http == "" {
		r.TracingNote = "measured for the HTTP preset only (no queue in the loop); this repo's ingress is " + o.preset
	}

	if o.coalescing != "" {
		if r.Coalescing, err = readCoalesceRows(o.coalescing); err != nil {
			return err
		}
	}
	if o.gateway != "" {
		if r.Gateway, err = readGatewayRows(o.gateway); err != nil {
			return err
		}
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
