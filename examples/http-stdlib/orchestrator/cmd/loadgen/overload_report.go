package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// write prints the overload row and, for a missed target, the CPU profile that locates the limit.
func (f overloadFigures) write(w io.Writer) {
	fmt.Fprintf(w, "\noverload: %s open loop at %dx the peak a fixed-concurrency run measured just before each run (median %.0f -> %.0f calls/s), %s\n",
		f.Call, overloadFactor, f.PeakPerSec, f.Rate, f.Pinning)
	if f.PeakShed > 0 {
		fmt.Fprintf(w, "  the peak runs were refused %d calls, their senders backing off after each: a peak past the admission limit,\n"+
			"  below what an open loop gets accepted, so goodput can exceed 1\n", f.PeakShed)
	}
	fmt.Fprintf(w, "  goodput %.0f calls/s = %.3f of peak (median of the runs' own ratios %v); %d accepted, %d shed, %d timed out, %d other errors\n",
		f.GoodputPS, f.Goodput, f.GoodputRuns, f.Accepted, f.Shed, f.TimedOut, f.Errors)
	fmt.Fprintf(w, "  shed calls answered %s in p99 %.3f ms as loadgen sees them (sent to answer)\n", f.Answer, f.ShedP99)
	if p := f.Probe; p != nil {
		// The unloaded p99 beside it: no answer on these cores comes faster than an unloaded call's.
		fmt.Fprintf(w, "  shed probe (a client in a process of its own, %g calls/s beside the load; the target's figure):\n"+
			"    %d refused, p50 %.3f ms, p99 %.3f ms over all runs (the same call unloaded: p99 %.3f ms); %d accepted (counted in the goodput), %d timed out, %d other errors\n",
			p.Rate, p.Shed, p.ShedP50, p.ShedP99, f.UnloadedP99, p.Accepted, p.TimedOut, p.Errors)
		if p.Note != "" {
			fmt.Fprintf(w, "    %s\n", p.Note)
		}
	}
	switch {
	case f.WorkerShedNote != "":
		fmt.Fprintf(w, "  %s\n", f.WorkerShedNote)
	case f.WorkerShedCalls > 0:
		fmt.Fprintf(w, "  the worker's own time to refuse (arrival to RESOURCE_EXHAUSTED, %s): p99 %.3f ms, mean %.3f ms over %d calls;\n",
			shedHistogram, f.WorkerShedP99, f.WorkerShedMean, f.WorkerShedCalls)
		switch {
		case !f.throughOrchestrator():
			fmt.Fprintf(w, "  the rest of what loadgen saw, %.3f ms at p99, is queueing in %s\n", max(f.ShedP99-f.WorkerShedP99, 0),
				"loadgen itself (its Go runtime and gRPC client, on the cores it has) and the kernel's loopback")
		case f.Shed <= f.WorkerShedCalls:
			fmt.Fprintf(w, "  the rest of what loadgen saw, %.3f ms at p99, is queueing in %s\n", max(f.ShedP99-f.WorkerShedP99, 0),
				"loadgen's HTTP client, the orchestrator (HTTP, JSON, its gRPC client) and both connections")
		}
		// Else loadgen's p99 mixes the worker's refusals with the orchestrator's own, so the
		// difference would describe neither.
	case !f.throughOrchestrator():
		fmt.Fprintf(w, "  the worker shed no ScoreBatch calls meanwhile\n")
	}
	if own := f.Shed - f.WorkerShedCalls; f.throughOrchestrator() && f.WorkerShedNote == "" && own > 0 {
		// The orchestrator answers 429 itself, before decoding, past its admission limit (the
		// adaptive limit within MAX_IN_FLIGHT_BYTES); the rest are the worker's refusals passed on. Counted by the
		// worker's own counter, so a worker refusal that reached loadgen late (a timeout) makes
		// the orchestrator's share look smaller, never larger.
		fmt.Fprintf(w, "  at least %d of the %d 429s were the orchestrator's own (past its admission limit, gauge\n"+
			"  orchestrator_admission_limit_bytes: answered before decoding); the worker refused %d calls by its own count\n", own, f.Shed, f.WorkerShedCalls)
	}
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
		case strings.HasPrefix(f.Pinning, "pinned"):
			fmt.Fprintf(w, "  pinned: each process above had only its own cores, so one busy near their count was the limit\n")
		case f.MachineCores >= 0.9*float64(f.NumCPU):
			fmt.Fprintf(w, "  the machine ran out of cores: it is the limit here, not the worker's admission (what the\n"+
				"  processes above did not use, other tenants did); BENCH_PIN=1 keeps loadgen off the services' cores\n")
		default:
			fmt.Fprintf(w, "  the machine had cores to spare: the limit is in the worker or in loadgen's single connection\n")
		}
	}
	if f.FirstError != "" {
		fmt.Fprintf(w, "  first other error: %s\n", f.FirstError)
	}
}

// throughOrchestrator reports whether the row drove the orchestrator's HTTP API, where a
// refusal is a 429 from the orchestrator's own admission or the worker's passed on.
func (f overloadFigures) throughOrchestrator() bool { return f.Answer != "RESOURCE_EXHAUSTED" }

// onlineCores is the machine's cores: the "cpuN" lines of /proc/stat, as runtime.NumCPU
// counts only those this process may run on (one, when BENCH_PIN=1 pins loadgen).
func onlineCores() int {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return runtime.NumCPU()
	}
	n := 0
	for line := range strings.Lines(string(data)) {
		if len(line) > 3 && strings.HasPrefix(line, "cpu") && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	return max(n, 1)
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

// summarizeOverload fills f from the runs: medians over runs, as everywhere in the report.
func summarizeOverload(f overloadFigures, runs []overloadPhase) overloadFigures {
	var shedP99, acceptedP99, workerP99 []float64
	var workerSum float64
	var goodput, peaks []float64
	cores := map[string][]float64{}
	var machine []float64
	var probes []probeResult
	var probeErrs []error
	for _, p := range runs {
		if p.probe != nil {
			probes = append(probes, *p.probe)
		}
		if p.noProbe != nil {
			probeErrs = append(probeErrs, p.noProbe)
		}
		f.Accepted += len(p.accepted)
		f.Shed += len(p.shed)
		f.TimedOut += p.timedOut
		f.PeakShed += p.peakShed
		f.Errors += p.errors
		if p.firstErr != nil && f.FirstError == "" {
			f.FirstError = p.firstErr.Error()
		}
		if p.elapsed > 0 && p.peak > 0 {
			// The shed probe's accepted calls are the worker's work too: counted, as its
			// calls (a few percent of the rate) took their share of the worker's cores.
			scored := len(p.accepted)
			if p.probe != nil {
				scored += p.probe.Accepted
			}
			goodput = append(goodput, float64(scored)/p.elapsed.Seconds())
			peaks = append(peaks, p.peak)
			f.PeakRuns = append(f.PeakRuns, round3(p.peak))
			f.GoodputRuns = append(f.GoodputRuns, round3(goodput[len(goodput)-1]/p.peak))
			for name, t := range p.cpu {
				cores[name] = append(cores[name], t.Seconds()/p.elapsed.Seconds())
			}
			machine = append(machine, p.machine.Seconds()/p.elapsed.Seconds())
		}
		if len(p.shed) > 0 {
			shedP99 = append(shedP99, summarize(p.shed).P99)
		}
		if p.noWorker != nil && f.WorkerShedNote == "" {
			f.WorkerShedNote = "worker-side shed timing not read: " + p.noWorker.Error()
		}
		if n := p.worker.count(); n > 0 {
			f.WorkerShedCalls += int(n)
			workerSum += p.worker.sum
			workerP99 = append(workerP99, round3(1000*p.worker.quantile(0.99)))
		}
		// A run that accepted nothing has no accepted latency; a 0 here would pull the median down.
		if len(p.accepted) > 0 {
			acceptedP99 = append(acceptedP99, summarize(p.accepted).P99)
		}
	}
	f.GoodputPS = round3(median(goodput))
	f.PeakPerSec = round3(median(peaks))
	f.Rate = round3(overloadFactor * median(peaks))
	f.goodput = medianRatio(goodput, peaks)
	f.Goodput = round3(f.goodput)
	f.ShedP99 = median(shedP99)
	f.AcceptedP99 = median(acceptedP99)
	if f.WorkerShedCalls > 0 {
		f.WorkerShedP99 = median(workerP99)
		f.WorkerShedMean = round3(1000 * workerSum / float64(f.WorkerShedCalls))
	}
	if f.UnloadedP99 > 0 {
		f.p99Ratio = f.AcceptedP99 / f.UnloadedP99
		f.P99Ratio = round3(f.p99Ratio)
	}
	f.MachineCores = round3(median(machine))
	f.Probe = summarizeProbes(probes, probeErrs)
	for name, xs := range cores {
		f.Cores = cmpOr(f.Cores)
		f.Cores[name] = round3(median(xs))
	}
	return f
}

// checks are the overload row's targets. A row whose shed probe got no refusal (or did not
// run) has no shed latency to judge, and says so rather than passing.
func (f overloadFigures) checks(add func(name string, value float64, target string, met bool)) {
	add("goodput at 2x saturation / peak", f.Goodput, fmt.Sprintf(">= %g", goodputTarget), f.goodput >= goodputTarget)
	var probe probeFigures
	if f.Probe != nil {
		probe = *f.Probe
	}
	add("shed latency p99 at 2x saturation, ms (probe client)", probe.ShedP99, fmt.Sprintf("<= %g", shedLatencyTarget), probe.Shed > 0 && probe.ShedP99 <= shedLatencyTarget)
	add("accepted p99 at 2x saturation / unloaded p99", f.P99Ratio, fmt.Sprintf("<= %g", acceptedP99Target), f.p99Ratio > 0 && f.p99Ratio <= acceptedP99Target)
}
