package main

import (
	"fmt"
	"io"
)

// e2eThroughputTarget is the least end-to-end throughput the HTTP path should reach, as a
// share of direct single-call gRPC throughput in the same run.
const e2eThroughputTarget = 0.75

// ownCores projects the e2e/direct throughput figure to a deployment where each service has
// cores of its own and the clients are not the limit (a fleet of callers, not loadgen's one
// core). By the bottleneck law of operational analysis (Denning and Buzen, "The Operational
// Analysis of Queueing Network Models", Computing Surveys 10(3), 1978), a path serves at
// most cores / CPU time per request of its busiest station. From the closed-loop CPU
// figures of the same run, with one core for each service:
//
//	direct = 1 / the worker's CPU per direct Score call
//	e2e    = 1 / max(the orchestrator's, the worker's CPU per e2e request)
//
// and the orchestrator cores per worker core that bring e2e to the target:
//
//	cores = the orchestrator's CPU × target / the worker's direct CPU
//
// which no number of cores reaches once the worker's own e2e CPU exceeds its direct CPU /
// target. A projection from measured costs, not a measurement: it assumes CPU per request
// stays the same as cores are added.
type ownCores struct {
	DirectPerSec float64 `json:"direct_requests_per_s"`
	E2EPerSec    float64 `json:"e2e_requests_per_s"`
	Ratio        float64 `json:"e2e_vs_direct"`
	// Bottleneck is the service whose CPU per request bounds e2e: orchestrator or worker.
	Bottleneck string `json:"e2e_bottleneck"`
	// OrchestratorCores is the orchestrator cores per worker core for e2e to reach the
	// target; nil when no number does (the worker is the bottleneck even then).
	OrchestratorCores *float64 `json:"orchestrator_cores_for_target,omitempty"`
}

// ownCoresOf projects from the direct and e2e figures; false when a CPU figure is missing.
func ownCoresOf(direct, e2e targetFigures) (ownCores, bool) {
	directWorker := direct.Closed.CPUPerRequest["worker"]
	orchestrator, worker := e2e.Closed.CPUPerRequest["orchestrator"], e2e.Closed.CPUPerRequest["worker"]
	if directWorker <= 0 || orchestrator <= 0 || worker <= 0 {
		return ownCores{}, false
	}
	p := ownCores{DirectPerSec: round3(1e6 / directWorker), Bottleneck: "orchestrator"}
	busiest := orchestrator
	if worker > orchestrator {
		busiest, p.Bottleneck = worker, "worker"
	}
	p.E2EPerSec = round3(1e6 / busiest)
	p.Ratio = round3(directWorker / busiest)
	if worker*e2eThroughputTarget <= directWorker {
		cores := round3(orchestrator * e2eThroughputTarget / directWorker)
		p.OrchestratorCores = &cores
	}
	return p, true
}

// write prints the projection under the CPU table.
func (p *ownCores) write(w io.Writer) {
	fmt.Fprintf(w, "  with each service on a core of its own and the callers not the limit (bottleneck law, a projection):\n")
	fmt.Fprintf(w, "    direct %.0f req/s, e2e %.0f req/s = %.3f of direct, bound by the %s's CPU per request;\n",
		p.DirectPerSec, p.E2EPerSec, p.Ratio, p.Bottleneck)
	if p.OrchestratorCores != nil {
		fmt.Fprintf(w, "    e2e reaches %.2f of direct with the orchestrator on %.2f cores per worker core\n", e2eThroughputTarget, *p.OrchestratorCores)
	} else {
		fmt.Fprintf(w, "    e2e cannot reach %.2f of direct on any number of orchestrator cores: the worker spends more per e2e request\n", e2eThroughputTarget)
	}
}
