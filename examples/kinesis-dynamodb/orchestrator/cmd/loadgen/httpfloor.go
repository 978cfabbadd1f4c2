package main

import (
	"fmt"
	"io"
	"net/http"
)

// floorResponse is what the HTTP floor answers every POST /v1/score with: fixed, in the
// shape and about the size (~110 bytes) of the orchestrator's protobuf JSON ScoreResponse.
const floorResponse = `{"id":"floor-0001","score":0.5,"modelVersion":"http-floor-0.0.0","reasonCodes":["HTTP_FLOOR_NO_WORK_DONE"]}`

// httpFloorHandler is the least an HTTP orchestrator can do per request: read the whole
// body and write a response of the usual size. No JSON, no validation, no gRPC.
func httpFloorHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/score", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, floorResponse)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

// httpFloor serves httpFloorHandler on addr until SIGTERM: `loadgen http-floor ADDR`, a
// process of its own so its CPU is read apart from loadgen's, as the orchestrator's is.
// It is the net/http server the orchestrator is built on with nothing behind it: what
// any Go HTTP front end pays here before doing its work (see ceilingOf).
func httpFloor(addr string) error {
	return serveUntilSignal(addr, httpFloorHandler())
}

// e2eCeiling bounds what the e2e/direct throughput target can reach on this machine, from
// CPU per request in the same run. With the cores saturated (the closed-loop phases), a
// path's throughput is the cores over its total CPU per request (loadgen's included, as it
// shares the cores). The HTTP path can cost no less than the floor (loadgen's HTTP client
// and a bare net/http server) plus the worker's share of it, so
//
//	ceiling = direct total / (floor total + e2e worker)
//
// Zero when a figure is missing. With the processes pinned to cores of their own
// (BENCH_PIN=1) each is bound by its own cores instead, and checks leaves the ceiling out.
type e2eCeiling struct {
	Ceiling     float64 `json:"ceiling"`
	DirectUS    float64 `json:"direct_cpu_us_per_request"`
	FloorUS     float64 `json:"http_floor_cpu_us_per_request"`
	E2EWorkerUS float64 `json:"e2e_worker_cpu_us_per_request"`
}

func ceilingOf(direct, floor, e2e targetFigures) e2eCeiling {
	c := e2eCeiling{
		DirectUS:    round3(cpuSum(direct, servicePath)),
		FloorUS:     round3(cpuSum(floor, floorPath)),
		E2EWorkerUS: round3(e2e.Closed.CPUPerRequest["worker"]),
	}
	if c.DirectUS > 0 && c.FloorUS > 0 {
		c.Ceiling = round3(c.DirectUS / (c.FloorUS + c.E2EWorkerUS))
	}
	return c
}

// The processes a CPU row sums, in print order: those on its request path (on the direct
// gRPC row the orchestrator sits idle).
var (
	servicePath = []string{"loadgen", "orchestrator", "worker"}
	floorPath   = []string{"loadgen", "http-floor"}
)

// cpuSum is the CPU per request, in microseconds, of the processes of path in f's
// closed-loop phase.
func cpuSum(f targetFigures, path []string) float64 {
	total := 0.0
	for _, p := range path {
		total += f.Closed.CPUPerRequest[p]
	}
	return total
}

// writeCeiling prints the ceiling under the CPU table.
func (r *results) writeCeiling(w io.Writer) {
	c := r.E2ECeiling
	if c == nil || c.Ceiling <= 0 || r.HTTPFloor == nil {
		return
	}
	fmt.Fprintf(w, "  e2e / direct throughput can reach at most %.3f on these cores: direct %.1f us / (HTTP floor %.1f us + worker %.1f us);\n",
		c.Ceiling, c.DirectUS, c.FloorUS, c.E2EWorkerUS)
	fmt.Fprintf(w, "  the floor is loadgen's HTTP client and a bare net/http server (`loadgen http-floor`), %.0f req/s with no work done\n", r.HTTPFloor.Closed.PerSecond)
}
