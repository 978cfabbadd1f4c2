package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// overloadFactor is how far past saturation the overload row drives the worker: the issue's
// "twice the saturation rate".
const overloadFactor = 2

// Targets of the overload row (see checks).
const (
	goodputTarget     = 0.9 // accepted calls per second at 2x saturation, over the peak
	shedLatencyTarget = 1.0 // ms, p99 of the time a refused call takes to come back, as the shed probe sees it
	acceptedP99Target = 5.0 // accepted calls' p99 at 2x saturation, over the unloaded p99
)

// overloadFigures is the overload row: ScoreBatch straight at the worker, open loop at twice
// the rate a fixed-concurrency run of the same call peaked at just before it. Batches,
// because a unary Score is scored on the runtime thread that decoded it and never queues in
// the worker, so it is never shed: the worker's admission guards the expensive work, and
// batches are that work.
type overloadFigures struct {
	Call string `json:"call"`
	// PeakPerSec and Rate are medians over the runs: each run measures its own peak, then
	// drives the call at overloadFactor times it.
	PeakPerSec float64 `json:"peak_calls_per_s"`
	Rate       float64 `json:"rate_per_s"`
	GoodputPS  float64 `json:"goodput_calls_per_s"`
	Goodput    float64 `json:"goodput_vs_peak"`
	Accepted   int     `json:"accepted"`
	Shed       int     `json:"shed"`
	// TimedOut calls got no answer within their deadline: loadgen's own (DEADLINE_EXCEEDED) or,
	// through the orchestrator, its deadline for the worker (504). Under overload that is an
	// outcome to count, like shedding, not a fault of the bench.
	TimedOut int `json:"timed_out"`
	Errors   int `json:"errors"`
	// Answer is how a refusal comes back: RESOURCE_EXHAUSTED straight from the worker, 429
	// through the orchestrator.
	Answer string `json:"shed_answer"`
	// ShedP99 is a refusal as loadgen sees it, from sending the call to the answer.
	ShedP99 float64 `json:"shed_p99_ms"`
	// Probe is the shed probe's view of the refusals (shedprobe.go), the figure the shed latency
	// target reads; nil for a row run without one.
	Probe *probeFigures `json:"shed_probe,omitempty"`
	// WorkerShed* are the worker's own timing of the refusals it made meanwhile, from a call's
	// arrival at its server to its answer (scoring_shed_duration_seconds on its /metrics,
	// scraped before and after each run): ShedP99 less this is the wait in the client, on the
	// connection and, through the orchestrator, in the orchestrator.
	WorkerShedCalls int     `json:"worker_shed_calls"`
	WorkerShedP99   float64 `json:"worker_shed_p99_ms"`
	WorkerShedMean  float64 `json:"worker_shed_mean_ms"`
	WorkerShedNote  string  `json:"worker_shed_note,omitempty"`
	AcceptedP99     float64 `json:"accepted_p99_ms"`
	UnloadedP99     float64 `json:"unloaded_p99_ms"`
	P99Ratio        float64 `json:"accepted_p99_vs_unloaded"`
	// goodput and p99Ratio are Goodput and P99Ratio unrounded, which the targets judge.
	goodput, p99Ratio float64
	// Cores is the CPU each process used during the phase, in cores (CPU seconds per second):
	// the profile that says where the limit is when a target is missed on a small machine.
	Cores map[string]float64 `json:"cores_busy,omitempty"`
	// MachineCores is every process's CPU meanwhile, in cores (Linux /proc/stat; 0: unknown):
	// what it exceeds the processes above by, other tenants of the machine took. NumCPU is
	// the machine's cores, not the few loadgen may be pinned to.
	MachineCores float64   `json:"machine_cores_busy"`
	NumCPU       int       `json:"machine_cores"`
	PeakRuns     []float64 `json:"peak_calls_per_s_runs"`
	// PeakShed is how many calls the peak runs were refused: a peak taken past the worker's
	// admission limit, whose senders back off after each refusal, is below what an open loop
	// gets accepted, and goodput against it can exceed 1.
	PeakShed    int       `json:"peak_shed"`
	GoodputRuns []float64 `json:"goodput_vs_peak_runs"`
	Pinning     string    `json:"cpu_pinning"`
	FirstError  string    `json:"first_error,omitempty"`
}

// overloadPhase is one run of the overload row: its peak, then the open loop at twice it.
type overloadPhase struct {
	peak     float64         // calls/s of the fixed-concurrency run just before; 0: none measured
	peakShed int             // calls that run was refused (its senders backed off and retried)
	accepted []time.Duration // from when each call was due, as openLoop times
	shed     []time.Duration // from when each refused call went out to its RESOURCE_EXHAUSTED
	timedOut int
	errors   int
	firstErr error
	elapsed  time.Duration
	cpu      map[string]time.Duration
	machine  time.Duration // CPU of the whole machine during the phase
	worker   histogram     // the worker's shed timings during the phase
	noWorker error         // why worker is empty
	probe    *probeResult  // the shed probe's run beside it, if one ran
	noProbe  error         // why a shed probe that was to run has no result
}

// shed reports whether err is a refusal: RESOURCE_EXHAUSTED, or the orchestrator's 429 for it.
func shed(err error) bool {
	return status.Code(err) == codes.ResourceExhausted || errors.Is(err, errTooManyRequests)
}

// timedOut reports whether err is a call that got no answer in time: loadgen's deadline, or
// the orchestrator's 504 for its own.
func timedOut(err error) bool {
	return status.Code(err) == codes.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errGatewayTimeout)
}

// overloadLoop is openLoop with each call's outcome kept apart: accepted calls are timed from
// when they were due (so the backlog counts), refused ones from when they were sent (the
// worker's time to say no, which is what shedding promises).
func overloadLoop(ctx context.Context, c call, rate float64, d time.Duration, maxInFlight int) overloadPhase {
	var mu sync.Mutex
	var p overloadPhase
	p.elapsed = pace(ctx, rate, int(rate*d.Seconds()), maxInFlight, func(_ int, due time.Time) {
		sent := time.Now()
		err := send(ctx, c)
		done := time.Now()
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			p.accepted = append(p.accepted, done.Sub(due))
		case shed(err):
			p.shed = append(p.shed, done.Sub(sent))
		case timedOut(err):
			p.timedOut++
		default:
			p.errors++
			if p.firstErr == nil {
				p.firstErr = err
			}
		}
	})
	slices.Sort(p.accepted)
	slices.Sort(p.shed)
	return p
}

// runOverloads fills the overload rows: ScoreBatch straight at the worker at twice its peak,
// then, when the batch route was measured (HTTP preset), the same through the orchestrator,
// which answers the worker's refusals 429, with the call httpBatch makes.
func runOverloads(ctx context.Context, r *results, batch call, httpBatch func() (call, error), o options, pids map[string]int) error {
	fmt.Fprintf(os.Stderr, "loadgen: overload, %dx the ScoreBatch peak\n", overloadFactor)
	r.Overload = runOverload(ctx, batch, fmt.Sprintf("gRPC ScoreBatch x%d", o.batchSize), "RESOURCE_EXHAUSTED",
		r.Direct.Batch.Open.P99, o, pids, true)
	if r.E2EBatch == nil {
		return nil
	}
	fmt.Fprintf(os.Stderr, "loadgen: overload through the orchestrator, %dx the HTTP batch peak\n", overloadFactor)
	c, err := httpBatch()
	if err != nil {
		return err
	}
	f := runOverload(ctx, c, fmt.Sprintf("HTTP POST /v1/score/batch x%d", o.batchSize), "429",
		r.E2EBatch.Open.P99, o, pids, false)
	r.OverloadHTTP = &f
	return ctx.Err()
}

// backlogDrainPause is the wait before an overload phase, for the previous phase's calls still
// queued in the worker to finish, so none of its refusals counts towards the next phase.
const backlogDrainPause = 200 * time.Millisecond

// runOverload runs the row o.runs times, each after a pause for the previous phase's backlog
// to drain: a fixed-concurrency run of c for its peak, then c open loop at overloadFactor
// times that peak. Goodput is judged within each pair, as the other same-run ratios are: a
// peak taken minutes earlier, while the machine's other tenants were busier or quieter, put
// goodput anywhere from 0.86 to 1.84 of it. The runs are summed up against unloadedP99.
// answer names how a refusal comes back; with o.workerMetrics set, each run also reads the
// worker's own timing of its refusals; with probed, a shed probe runs beside each run.
func runOverload(ctx context.Context, c call, name, answer string, unloadedP99 float64, o options, pids map[string]int, probed bool) overloadFigures {
	f := overloadFigures{Call: name, Answer: answer, UnloadedP99: unloadedP99, Pinning: o.pinning, NumCPU: onlineCores()}
	var runs []overloadPhase
	for range o.runs {
		time.Sleep(backlogDrainPause)
		fixed := closedLoop(ctx, c, o.concurrency, o.duration)
		peak := fixed.perSecond()
		if peak <= 0 {
			runs = append(runs, overloadPhase{firstErr: cmp.Or(fixed.firstErr, errors.New("no call succeeded at fixed concurrency"))})
			continue
		}
		var workerBefore histogram
		var workerErr error
		if o.workerMetrics == "" {
			workerErr = errors.New("the worker's metrics address was not given (-worker-metrics)")
		} else {
			workerBefore, workerErr = scrapeHistogram(ctx, o.workerMetrics, shedHistogram, "rpc_method", "ScoreBatch")
		}
		var probe *probeRun
		var probeErr error
		if probed {
			probe, probeErr = startShedProbe(ctx, o, o.duration)
		}
		before, machineBefore := cpuTimes(pids), machineCPU()
		p := overloadLoop(ctx, c, overloadFactor*peak, o.duration, o.maxInFlight)
		p.peak, p.peakShed = peak, fixed.shed
		p.cpu = cpuSince(before, pids)
		if probe != nil {
			var result probeResult
			if result, probeErr = probe.wait(); probeErr == nil {
				p.probe = &result
			}
		}
		p.noProbe = probeErr
		if machineBefore > 0 {
			p.machine = machineCPU() - machineBefore
		}
		if workerErr == nil {
			var after histogram
			after, workerErr = scrapeHistogram(ctx, o.workerMetrics, shedHistogram, "rpc_method", "ScoreBatch")
			p.worker = after.since(workerBefore)
		}
		p.noWorker = workerErr
		runs = append(runs, p)
		if ctx.Err() != nil {
			break
		}
	}
	return summarizeOverload(f, runs)
}
