package main

// results is bench/results.json. Every figure is the median over runs; *_runs keep each
// run's value so the spread is visible.
type results struct {
	Preset   string         `json:"preset"`
	Settings settings       `json:"settings"`
	Direct   directFigures  `json:"direct_grpc"`
	E2E      *targetFigures `json:"e2e_http,omitempty"`
	E2ENote  string         `json:"e2e_note,omitempty"`
	// E2EBatch is the HTTP batch route, the overload row through the orchestrator's baseline.
	E2EBatch *targetFigures `json:"e2e_http_batch,omitempty"`
	Floor    openFigures    `json:"noop_floor"`
	// HTTPFloor is POST /v1/score against a bare net/http server (httpfloor.go), and
	// E2ECeiling what it leaves the e2e throughput target on these cores (HTTP preset).
	HTTPFloor  *targetFigures `json:"http_floor,omitempty"`
	E2ECeiling *e2eCeiling    `json:"e2e_ceiling,omitempty"`
	// OwnCores projects the e2e throughput figure to services on cores of their own (owncores.go).
	OwnCores *ownCores `json:"own_cores_projection,omitempty"`
	// Tracing is the HTTP path with tracing off, sampled and always on (see tracing.go).
	Tracing     []tracingRow   `json:"tracing_overhead,omitempty"`
	TracingNote string         `json:"tracing_note,omitempty"`
	Memory      map[string]mem `json:"memory_kb"`
	Model       modelCompare   `json:"model_per_core"`
	// ModelMemory is the worker's model_memory test's figures (modelmemory.go).
	ModelMemory *modelMemory `json:"model_load_memory,omitempty"`
	// Overload is ScoreBatch at twice its peak (overload.go); Verdict sums up the hop (verdict.go).
	Overload overloadFigures `json:"overload"`
	// OverloadHTTP is the HTTP batch route at twice its peak (HTTP preset).
	OverloadHTTP *overloadFigures `json:"overload_http,omitempty"`
	// Burst is issue 12's burst of full batches straight at the worker (burst.go).
	Burst *burstFigures `json:"burst,omitempty"`
	// WorkerConnections is the connections the worker refused at its cap (connections.go).
	WorkerConnections *workerConnections `json:"worker_grpc_connections,omitempty"`
	Verdict           verdict            `json:"verdict"`
	Targets           []check            `json:"targets"`

	// Coalescing is the HTTP path with COALESCE off and on (see coalesce.go).
	Coalescing []coalesceRow `json:"coalescing,omitempty"`
	// Gateway is the orchestrator against a grpc-gateway proxy, same route (see gateway.go).
	Gateway []gatewayRow `json:"grpc_gateway,omitempty"`
}

type settings struct {
	DurationS   float64 `json:"duration_s"`
	WarmupS     float64 `json:"warmup_s"`
	Runs        int     `json:"runs"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate_per_s"`
	BatchSize   int     `json:"batch_size"`
	BatchRate   float64 `json:"batch_rate_per_s"`
	GOMAXPROCS  int     `json:"loadgen_gomaxprocs"`
	Transport   string  `json:"transport"`
	// OtherTransport is the one the verdict's second hop was measured over, if any.
	OtherTransport string `json:"other_transport,omitempty"`
	Pinning        string `json:"cpu_pinning"`
}

type directFigures struct {
	Score targetFigures `json:"score"`
	Batch targetFigures `json:"score_batch"`
	// BatchClient is ScoreBatch through the generated client at fixed concurrency only: the
	// client CPU an orchestrator pays per batch, which the verdict charges (verdict.go).
	BatchClient *closedFigures `json:"score_batch_generated_client,omitempty"`
	// Other is Score over the other transport (uds when the bench runs on tcp, and back).
	Other *targetFigures `json:"score_other_transport,omitempty"`
}

// targetFigures are one target's closed-loop (throughput) and open-loop (latency) figures.
type targetFigures struct {
	Closed closedFigures `json:"fixed_concurrency"`
	Open   openFigures   `json:"fixed_rate"`
}

type closedFigures struct {
	Concurrency int     `json:"concurrency"`
	PerSecond   float64 `json:"requests_per_s"`
	ItemsPerSec float64 `json:"items_per_s"`
	Errors      int     `json:"errors"`
	// Shed is the refusals the senders backed off from and retried (see closedLoop).
	Shed int       `json:"shed"`
	Runs []float64 `json:"requests_per_s_runs"`
	// CPUPerRequest splits each request's cost between the processes (loadgen, worker,
	// orchestrator), in CPU microseconds: on a machine with few cores, the sum caps throughput.
	CPUPerRequest map[string]float64 `json:"cpu_us_per_request,omitempty"`
}

type openFigures struct {
	Rate     float64 `json:"rate_per_s"`
	Achieved float64 `json:"achieved_per_s"`
	latencyFigures
	Errors  int       `json:"errors"`
	P99Runs []float64 `json:"p99_ms_runs"`
}

// mem is a process's resident memory: after start-up before any load, and the highest
// sample while the load ran.
type mem struct {
	Idle int64 `json:"idle"`
	Load int64 `json:"load_peak"`
}

type modelCompare struct {
	Go   modelFigures `json:"go"`
	Rust modelFigures `json:"rust"`
	// Pair is what the ratios (and the target) compare; see compare.
	Pair                   string  `json:"pair"`
	SingleRatio            float64 `json:"rust_over_go_single"`
	BatchRatio             float64 `json:"rust_over_go_batch"`
	InterpretedSingleRatio float64 `json:"rust_over_go_single_interpreted,omitempty"`
	InterpretedBatchRatio  float64 `json:"rust_over_go_batch_interpreted,omitempty"`
	// batchRatio is BatchRatio unrounded, which the target judges.
	batchRatio float64
}

// check is one row of the targets table.
type check struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Target string  `json:"target"`
	Met    bool    `json:"met"`
}
