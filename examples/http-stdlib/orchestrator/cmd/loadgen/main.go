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
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"os/signal"
	"time"

	"example.com/http-stdlib/orchestrator/internal/cmdline"
	"example.com/http-stdlib/orchestrator/internal/validation"
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
	if len(os.Args) >= 2 && os.Args[1] == "freeport" {
		if len(os.Args) > 2 {
			cmdline.BadInput("loadgen freeport", fmt.Errorf("unexpected argument %q: it takes none", os.Args[2]))
		}
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
	if len(os.Args) >= 2 && servers[os.Args[1]] != nil {
		if len(os.Args) != 3 {
			cmdline.BadInput("loadgen "+os.Args[1], fmt.Errorf("want one listen address, e.g. 127.0.0.1:4318; got %q", os.Args[2:]))
		}
		if _, _, err := net.SplitHostPort(os.Args[2]); err != nil {
			cmdline.BadInput("loadgen "+os.Args[1], fmt.Errorf("listen address %q: want host:port, e.g. 127.0.0.1:4318", os.Args[2]))
		}
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
	cmdline.PositiveDurationVar(flag.CommandLine, &o.duration, "duration", 2*time.Second, "length of each measured phase")
	flag.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured load before each target's phases")
	flag.DurationVar(&o.modelRound, "model-round", time.Second, "length of each model scoring round")
	cmdline.IntVar(flag.CommandLine, &o.runs, "runs", 3, 1, math.MaxInt, "runs of every phase; figures are medians")
	cmdline.IntVar(flag.CommandLine, &o.concurrency, "concurrency", 32, 1, math.MaxInt, "requests in flight in the fixed-concurrency phases")
	cmdline.PositiveFloatVar(flag.CommandLine, &o.rate, "rate", 2000, "requests per second in the fixed-rate phases")
	// At most the contract's largest batch: the worker refuses a larger one.
	cmdline.IntVar(flag.CommandLine, &o.batchSize, "batch-size", 100, 1, validation.MaxBatchSize, "requests per ScoreBatch call")
	cmdline.PositiveFloatVar(flag.CommandLine, &o.batchRate, "batch-rate", 100, "ScoreBatch calls per second in its fixed-rate phase")
	cmdline.IntVar(flag.CommandLine, &o.maxInFlight, "max-in-flight", 1000, 1, math.MaxInt, "cap on outstanding requests in the fixed-rate phases")
	flag.IntVar(&o.workerPID, "worker-pid", 0, "worker process, for its memory (0: not measured)")
	flag.IntVar(&o.orchestratorPID, "orchestrator-pid", 0, "orchestrator process, for its memory (0: not measured)")
	flag.StringVar(&o.tracingVariant, "tracing-variant", "", "drive only the HTTP path and write this tracing variant's row to -tracing-out")
	flag.StringVar(&o.tracingSampler, "tracing-sampler", "", "the variant's sampler, for the report")
	flag.StringVar(&o.tracingOut, "tracing-out", "", "file for the variant's row")
	flag.StringVar(&o.otlpSink, "otlp-sink", "", "base URL of `loadgen otlp-sink`, for its counts (empty: no sink)")
	flag.StringVar(&o.tracing, "tracing", "", "comma-separated variant rows to report, tracing off first")
	flag.StringVar(&o.workerAlt, "worker-alt", "", "the primary worker over the other transport (unix:///path or host:port), for the verdict's hop per transport; empty: not measured")
	flag.IntVar(&o.workerAltPID, "worker-alt-pid", 0, "that worker's process, for its CPU")
	flag.StringVar(&o.workerMetrics, "worker-metrics", "", "the primary worker's /metrics URL, for its own shed timing in the overload rows and the connections it refused (empty: not read)")
	flag.StringVar(&o.pinning, "pinning", "not pinned to cores", "how the bench pinned the processes to cores, for the report")
	flag.StringVar(&o.coalesceVariant, "coalesce-variant", "", "drive only the HTTP path and write this coalescing variant's row to -coalesce-out")
	flag.StringVar(&o.coalesceOut, "coalesce-out", "", "file for the coalescing variant's row")
	flag.StringVar(&o.coalescing, "coalescing", "", "comma-separated coalescing rows to report, coalescing off first")
	flag.StringVar(&o.gatewayVariant, "gateway-variant", "", "drive only POST /v1/score on -http (the orchestrator or cmd/gateway, process -orchestrator-pid) for one run and write it to -gateway-out")
	flag.StringVar(&o.gatewayOut, "gateway-out", "", "file for the grpc-gateway comparison run")
	flag.StringVar(&o.gateway, "gateway", "", "comma-separated grpc-gateway comparison runs to report")
	flag.StringVar(&o.httpFloor, "http-floor", "", "base URL of `loadgen http-floor`, for the e2e throughput ceiling (empty: not measured)")
	flag.IntVar(&o.httpFloorPID, "http-floor-pid", 0, "that server's process, for its CPU")
	cmdline.Parse("loadgen", flag.CommandLine, os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	do := run
	if o.tracingVariant != "" {
		if o.http == "" || o.tracingOut == "" {
			cmdline.BadInput("loadgen", errors.New("-tracing-variant needs -http and -tracing-out"))
		}
		do = runTracingVariant
	}
	if o.coalesceVariant != "" {
		if o.http == "" || o.coalesceOut == "" {
			cmdline.BadInput("loadgen", errors.New("-coalesce-variant needs -http and -coalesce-out"))
		}
		do = runCoalesceVariant
	}
	if o.modelOut != "" {
		do = writeGoModel
	}
	if o.gatewayVariant != "" {
		if o.http == "" || o.gatewayOut == "" {
			cmdline.BadInput("loadgen", errors.New("-gateway-variant needs -http and -gateway-out"))
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
