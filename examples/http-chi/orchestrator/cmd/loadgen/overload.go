package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
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
	shedLatencyTarget = 1.0 // ms, p99 of the time a refused call takes to come back
	acceptedP99Target = 5.0 // accepted calls' p99 at 2x saturation, over the unloaded p99
)

// overloadFigures is the overload row: ScoreBatch straight at the worker, open loop at twice
// the rate its fixed-concurrency phase peaked at. Batches, because a unary Score is scored
// on the runtime thread that decoded it and never queues in the worker, so it is never shed:
// the worker's admission guards the expensive work, and batches are that work.
type overloadFigures struct {
	Call        string  `json:"call"`
	PeakPerSec  float64 `json:"peak_calls_per_s"`
	Rate        float64 `json:"rate_per_s"`
	GoodputPS   float64 `json:"goodput_calls_per_s"`
	Goodput     float64 `json:"goodput_vs_peak"`
	Accepted    int     `json:"accepted"`
	Shed        int     `json:"shed"`
	Errors      int     `json:"errors"`
	ShedP99     float64 `json:"shed_p99_ms"`
	AcceptedP99 float64 `json:"accepted_p99_ms"`
	UnloadedP99 float64 `json:"unloaded_p99_ms"`
	P99Ratio    float64 `json:"accepted_p99_vs_unloaded"`
	// Cores is the CPU each process used during the phase, in cores (CPU seconds per second):
	// the profile that says where the limit is when a target is missed on a small machine.
	Cores map[string]float64 `json:"cores_busy,omitempty"`
	// MachineCores is every process's CPU meanwhile, in cores (Linux /proc/stat; 0: unknown):
	// what it exceeds the processes above by, other tenants of the machine took.
	MachineCores float64   `json:"machine_cores_busy"`
	NumCPU       int       `json:"machine_cores"`
	GoodputRuns  []float64 `json:"goodput_vs_peak_runs"`
	Pinning      string    `json:"cpu_pinning"`
	FirstError   string    `json:"first_error,omitempty"`
}

// overloadPhase is one open-loop run of the overload row.
type overloadPhase struct {
	accepted []time.Duration // from when each call was due, as openLoop times
	shed     []time.Duration // from when each refused call went out to its RESOURCE_EXHAUSTED
	errors   int
	firstErr error
	elapsed  time.Duration
	cpu      map[string]time.Duration
	machine  time.Duration // CPU of the whole machine during the phase
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
		case status.Code(err) == codes.ResourceExhausted:
			p.shed = append(p.shed, done.Sub(sent))
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

// runOverload drives c at overloadFactor times peak, runs times, after a pause for the
// previous phase's backlog to drain, and sums the runs up against peak and unloadedP99.
func runOverload(ctx context.Context, c call, name string, peak, unloadedP99 float64, o options, pids map[string]int) overloadFigures {
	f := overloadFigures{Call: name, PeakPerSec: round3(peak), Rate: round3(overloadFactor * peak), UnloadedP99: unloadedP99,
		Pinning: o.pinning, NumCPU: runtime.NumCPU()}
	if peak <= 0 {
		return f
	}
	var runs []overloadPhase
	for range o.runs {
		time.Sleep(200 * time.Millisecond)
		before, machineBefore := cpuTimes(pids), machineCPU()
		p := overloadLoop(ctx, c, f.Rate, o.duration, o.maxInFlight)
		p.cpu = cpuSince(before, pids)
		if machineBefore > 0 {
			p.machine = machineCPU() - machineBefore
		}
		runs = append(runs, p)
		if ctx.Err() != nil {
			break
		}
	}
	return summarizeOverload(f, runs)
}

// summarizeOverload fills f from the runs: medians over runs, as everywhere in the report.
func summarizeOverload(f overloadFigures, runs []overloadPhase) overloadFigures {
	var shedP99, acceptedP99 []float64
	var goodput []float64
	cores := map[string][]float64{}
	var machine []float64
	for _, p := range runs {
		f.Accepted += len(p.accepted)
		f.Shed += len(p.shed)
		f.Errors += p.errors
		if p.firstErr != nil && f.FirstError == "" {
			f.FirstError = p.firstErr.Error()
		}
		if p.elapsed > 0 {
			goodput = append(goodput, float64(len(p.accepted))/p.elapsed.Seconds())
			for name, t := range p.cpu {
				cores[name] = append(cores[name], t.Seconds()/p.elapsed.Seconds())
			}
			machine = append(machine, p.machine.Seconds()/p.elapsed.Seconds())
		}
		if len(p.shed) > 0 {
			shedP99 = append(shedP99, summarize(p.shed).P99)
		}
		acceptedP99 = append(acceptedP99, summarize(p.accepted).P99)
	}
	f.GoodputPS = round3(median(goodput))
	for _, g := range goodput {
		f.GoodputRuns = append(f.GoodputRuns, round3(g/f.PeakPerSec))
	}
	f.Goodput = round3(f.GoodputPS / f.PeakPerSec)
	f.ShedP99 = median(shedP99)
	f.AcceptedP99 = median(acceptedP99)
	if f.UnloadedP99 > 0 {
		f.P99Ratio = round3(f.AcceptedP99 / f.UnloadedP99)
	}
	f.MachineCores = round3(median(machine))
	for name, xs := range cores {
		f.Cores = cmpOr(f.Cores)
		f.Cores[name] = round3(median(xs))
	}
	return f
}

// overloadChecks are the overload row's targets. A run in which nothing was shed has no shed
// latency to judge, and says so rather than passing.
func (f overloadFigures) checks(add func(name string, value float64, target string, met bool)) {
	add("goodput at 2x saturation / peak", f.Goodput, fmt.Sprintf(">= %g", goodputTarget), f.Goodput >= goodputTarget)
	add("shed latency p99 at 2x saturation, ms", f.ShedP99, fmt.Sprintf("<= %g", shedLatencyTarget), f.Shed > 0 && f.ShedP99 <= shedLatencyTarget)
	add("accepted p99 at 2x saturation / unloaded p99", f.P99Ratio, fmt.Sprintf("<= %g", acceptedP99Target), f.P99Ratio > 0 && f.P99Ratio <= acceptedP99Target)
}

// write prints the overload row and, for a missed target, the CPU profile that locates the limit.
func (f overloadFigures) write(w io.Writer) {
	fmt.Fprintf(w, "\noverload: %s open loop at %dx its peak (%.0f -> %.0f calls/s), %s\n", f.Call, overloadFactor, f.PeakPerSec, f.Rate, f.Pinning)
	fmt.Fprintf(w, "  goodput %.0f calls/s = %.3f of peak; %d accepted, %d shed, %d other errors\n", f.GoodputPS, f.Goodput, f.Accepted, f.Shed, f.Errors)
	fmt.Fprintf(w, "  shed calls answered RESOURCE_EXHAUSTED in p99 %.3f ms\n", f.ShedP99)
	fmt.Fprintf(w, "  accepted p99 %.3f ms = %.2fx the unloaded p99 (%.3f ms)\n", f.AcceptedP99, f.P99Ratio, f.UnloadedP99)
	if len(f.Cores) > 0 {
		fmt.Fprintf(w, "  cores busy meanwhile:")
		for _, name := range []string{"loadgen", "orchestrator", "worker"} {
			if c, ok := f.Cores[name]; ok {
				fmt.Fprintf(w, " %s %.2f", name, c)
			}
		}
		fmt.Fprintf(w, "; the whole machine %.2f of %d cores\n", f.MachineCores, f.NumCPU)
		switch {
		case f.MachineCores <= 0:
		case f.MachineCores >= 0.9*float64(f.NumCPU):
			fmt.Fprintf(w, "  the machine ran out of cores: it is the limit here, not the worker's admission (what the\n"+
				"  processes above did not use, other tenants did); BENCH_PIN=1 on 3+ cores gives each its own\n")
		default:
			fmt.Fprintf(w, "  the machine had cores to spare: the limit is in the worker or in loadgen's single connection\n")
		}
	}
	if f.FirstError != "" {
		fmt.Fprintf(w, "  first other error: %s\n", f.FirstError)
	}
}

// machineCPU is the CPU time all processes have used since boot: the busy fields of the
// first line of /proc/stat (user nice system idle iowait irq softirq steal, in USER_HZ ticks),
// 0 off Linux.
func machineCPU() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, f := range fields[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0
		}
		busy += n
	}
	// USER_HZ is 100 on every Linux platform Go supports (as in cpuTime).
	return time.Duration(busy) * 10 * time.Millisecond
}
