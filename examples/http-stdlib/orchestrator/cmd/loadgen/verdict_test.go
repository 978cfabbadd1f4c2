package main

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVerdictArithmetic(t *testing.T) {
	in := verdictInput{
		Single: []hopCost{
			{Transport: "tcp", CPUUS: 41, P50: 0.2, P99: 0.9},
			{Transport: "uds", CPUUS: 31, P50: 0.1, P99: 0.5},
		},
		// cost(n) = 40 + n·1: a Score call 41 µs, a batch of 100 140 µs; of each, the client
		// spent 11 and 70.4 µs, so 0.6 µs of every item is the client's and 0.4 the worker's.
		BatchCPUUS:     140,
		BatchSize:      100,
		SingleClientUS: 11,
		BatchClientUS:  70.4,
		Rust:           modelFigures{Single: 1e6, BatchItems: 2e6},   // 1 µs, 0.5 µs per item
		Go:             modelFigures{Single: 5e5, BatchItems: 2.5e5}, // 2 µs, 4 µs per item
	}
	v := computeVerdict(in)
	if v.Note != "" {
		t.Fatalf("note %q on complete input", v.Note)
	}
	if len(v.Hops) != 2 || v.Hops[0].CPUUS != 40 || v.Hops[1].CPUUS != 30 || v.Hops[1].P99 != 0.5 {
		t.Errorf("hops %+v, want 40 µs over tcp and 30 over uds beyond the 1 µs of scoring", v.Hops)
	}
	if v.RustSingleUS != 1 || v.RustBatchUS != 0.5 || v.GoSingleUS != 2 || v.GoBatchUS != 4 {
		t.Errorf("per item: Rust %v/%v, Go %v/%v; want 1/0.5, 2/4", v.RustSingleUS, v.RustBatchUS, v.GoSingleUS, v.GoBatchUS)
	}
	if v.FixedUS != 40 || v.PerItemUS != 1 {
		t.Errorf("Rust path %v µs per call + %v per item, want 40 + 1", v.FixedUS, v.PerItemUS)
	}
	if v.PerItemClientUS != 0.6 || v.PerItemWorkerUS != 0.4 {
		t.Errorf("per item: client %v µs, worker %v; want 0.6 and 0.4", v.PerItemClientUS, v.PerItemWorkerUS)
	}
	// 40 + n·1 <= 4n from n = 40/3 = 13.3, so 14.
	if v.BreakEven != 14 {
		t.Errorf("break-even %d, want 14", v.BreakEven)
	}
	// One item per call: Go spends 2 µs where the hop spends 41. A batch of 100: 4 vs 1.4 per item.
	if v.SavedSingleUS != -39 || v.SavedBatchUS != 2.6 {
		t.Errorf("saved %v single, %v batch; want -39, 2.6", v.SavedSingleUS, v.SavedBatchUS)
	}
	var b strings.Builder
	v.write(&b)
	for _, want := range []string{"over tcp:", "over uds:", "break-even batch size    14", "39.00 us lost at 1 item per call", "2.60 us saved at 100 items",
		"per item, by process   client 0.60 us (encoding it, decoding its answer), worker 0.40 us (decoding, validating, scoring 0.50, encoding)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("verdict text lacks %q:\n%s", want, b.String())
		}
	}
}

func TestVerdictWithoutBreakEven(t *testing.T) {
	// Each extra item costs 5 µs on the Rust path, more than the 4 µs Go takes: no batch pays.
	v := computeVerdict(verdictInput{
		Single: []hopCost{{Transport: "tcp", CPUUS: 45}}, BatchCPUUS: 45 + 99*5, BatchSize: 100,
		Rust: modelFigures{Single: 1e6, BatchItems: 1e6}, Go: modelFigures{Single: 2.5e5, BatchItems: 2.5e5},
	})
	if v.BreakEven != 0 || v.PerItemUS != 5 {
		t.Errorf("break-even %d at %v µs per item, want none at 5", v.BreakEven, v.PerItemUS)
	}
	var b strings.Builder
	v.write(&b)
	// The client's share unmeasured: no split printed rather than one made of zeros.
	if v.PerItemClientUS != 0 || strings.Contains(b.String(), "by process") {
		t.Errorf("a per-process split without the client's CPU:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "break-even batch size    none") {
		t.Errorf("verdict text:\n%s", b.String())
	}
}

func TestVerdictNeedsEveryFigure(t *testing.T) {
	// No CPU figures (not Linux, or no pids): said, not computed from zeros.
	v := computeVerdict(verdictInput{Single: []hopCost{{Transport: "tcp"}}, BatchSize: 100,
		Rust: modelFigures{Single: 1, BatchItems: 1}, Go: modelFigures{Single: 1, BatchItems: 1}})
	if v.Note == "" || v.BreakEven != 0 || len(v.Hops) != 0 {
		t.Errorf("verdict %+v from missing CPU figures, want a note and nothing else", v)
	}
}

func TestSummarizeOverload(t *testing.T) {
	ms := func(xs ...float64) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x * float64(time.Millisecond))
		}
		return out
	}
	f := overloadFigures{UnloadedP99: 2}
	f = summarizeOverload(f, []overloadPhase{
		{peak: 100, peakShed: 5, accepted: ms(1, 2, 8), shed: ms(0.2, 0.4), elapsed: 30 * time.Millisecond, cpu: map[string]time.Duration{"worker": 15 * time.Millisecond}, machine: 60 * time.Millisecond,
			probe: &probeResult{ShedUS: []int64{200, 900}, Accepted: 3}},
		{peak: 225, peakShed: 7, accepted: ms(1, 2, 3, 4), shed: ms(0.1), errors: 1, elapsed: 40 * time.Millisecond, cpu: map[string]time.Duration{"worker": 40 * time.Millisecond},
			probe: &probeResult{ShedUS: []int64{100}, Accepted: 5}},
		{peak: 100, accepted: ms(2, 6), elapsed: 20 * time.Millisecond, cpu: map[string]time.Duration{"worker": 20 * time.Millisecond}},
	})
	// Goodput per run, the probe's accepted calls counted: 200, 225, 100 calls/s -> median 200,
	// against each run's own peak: 2, 1, 1 -> median 1 (a ratio of the medians would say 2);
	// p99 per run: 8, 4, 6 ms -> median 6 = 3x the unloaded 2.
	if f.Accepted != 9 || f.Shed != 3 || f.Errors != 1 || f.Goodput != 1 || f.GoodputPS != 200 {
		t.Errorf("counts %d/%d/%d, goodput %v (%v/s); want 9/3/1, 1 (200/s)", f.Accepted, f.Shed, f.Errors, f.Goodput, f.GoodputPS)
	}
	if f.PeakPerSec != 100 || f.Rate != 200 || !slices.Equal(f.PeakRuns, []float64{100, 225, 100}) || !slices.Equal(f.GoodputRuns, []float64{2, 1, 1}) || f.PeakShed != 12 {
		t.Errorf("peak %v, rate %v, runs %v and %v, peak refusals %d; want 100, 200, [100 225 100] and [2 1 1], 12",
			f.PeakPerSec, f.Rate, f.PeakRuns, f.GoodputRuns, f.PeakShed)
	}
	// Shed p99 per run with sheds: 0.4, 0.1 -> lower median 0.1.
	if f.AcceptedP99 != 6 || f.P99Ratio != 3 || f.ShedP99 != 0.1 {
		t.Errorf("accepted p99 %v (x%v), shed p99 %v; want 6 (x3), 0.1", f.AcceptedP99, f.P99Ratio, f.ShedP99)
	}
	if f.Cores["worker"] != 1 || f.MachineCores != 0 {
		t.Errorf("worker cores %v, machine %v; want the medians 1 and 0 (two runs knew nothing of the machine)", f.Cores["worker"], f.MachineCores)
	}
	var rows []check
	f.checks(func(name string, value float64, target string, met bool) {
		rows = append(rows, check{name, value, target, met})
	})
	if len(rows) != 3 || !rows[0].Met || !rows[1].Met || !rows[2].Met {
		t.Errorf("checks %+v, want all three met", rows)
	}
	// The probe's refusals pooled over the runs, 0.1, 0.2 and 0.9 ms: the target reads its p99.
	if f.Probe == nil || f.Probe.Shed != 3 || f.Probe.ShedP99 != 0.9 || rows[1].Value != 0.9 {
		t.Errorf("probe %+v, shed latency row %+v; want 3 refusals, p99 0.9 ms read by the target", f.Probe, rows[1])
	}
	// A probe that was refused nothing, or did not run, leaves no shed latency to judge, so
	// that target is not met; loadgen's own refusal times do not stand in for it.
	for _, probe := range []*probeFigures{{Rate: probeRate, Accepted: 10}, nil} {
		f.Probe = probe
		rows = nil
		f.checks(func(name string, value float64, target string, met bool) {
			rows = append(rows, check{name, value, target, met})
		})
		if rows[1].Met {
			t.Errorf("shed latency met with probe %+v", probe)
		}
	}
}

// A run that accepted nothing has no accepted p99. Counted as 0, two such runs beside one of
// 40 ms would make the median 0 ms; and four runs of nothing, 4, 40 and 50 ms would give 4.
func TestSummarizeOverloadSkipsRunsWithNothingAccepted(t *testing.T) {
	nothing := overloadPhase{shed: []time.Duration{time.Millisecond}, elapsed: time.Second}
	accepted := func(ms time.Duration) overloadPhase {
		return overloadPhase{accepted: []time.Duration{ms * time.Millisecond}, elapsed: time.Second}
	}
	for _, c := range []struct {
		runs []overloadPhase
		want float64
	}{
		{[]overloadPhase{nothing, nothing, accepted(40)}, 40},
		{[]overloadPhase{nothing, accepted(4), accepted(40), accepted(50)}, 40},
	} {
		f := summarizeOverload(overloadFigures{UnloadedP99: 2}, c.runs)
		if f.AcceptedP99 != c.want || f.P99Ratio != c.want/2 {
			t.Errorf("%d runs: accepted p99 %v (x%v), want %v (x%v)", len(c.runs), f.AcceptedP99, f.P99Ratio, c.want, c.want/2)
		}
	}
	f := summarizeOverload(overloadFigures{UnloadedP99: 2}, []overloadPhase{nothing})
	var met []bool
	f.checks(func(_ string, _ float64, _ string, m bool) { met = append(met, m) })
	if f.AcceptedP99 != 0 || met[2] {
		t.Fatalf("nothing accepted: p99 %v, target met %v; want 0 and not met", f.AcceptedP99, met[2])
	}
}

// The targets judge the figures unrounded: 0.8996 of peak is not 0.9, and 5.0004x is not 5x.
func TestOverloadTargetsAreJudgedUnrounded(t *testing.T) {
	accepted := make([]time.Duration, 8996)
	for i := range accepted {
		accepted[i] = 5002 * time.Microsecond
	}
	// 8,996 accepted in 10 s against a peak of 1,000/s; p99 5.002 ms against 1.00035 ms.
	f := summarizeOverload(overloadFigures{UnloadedP99: 1.00035}, []overloadPhase{
		{peak: 1000, accepted: accepted, shed: []time.Duration{time.Microsecond}, elapsed: 10 * time.Second},
	})
	var rows []check
	f.checks(func(name string, value float64, target string, met bool) {
		rows = append(rows, check{name, value, target, met})
	})
	if f.Goodput != 0.9 || rows[0].Met {
		t.Errorf("goodput %v (0.8996 unrounded) read %+v, want not met", f.Goodput, rows[0])
	}
	if f.P99Ratio != 5 || rows[2].Met {
		t.Errorf("accepted p99 %vx (5.00025 unrounded) read %+v, want not met", f.P99Ratio, rows[2])
	}
}

// A run whose fixed-concurrency peak failed drove nothing: it is not judged, and its error is
// the row's first error, so a row of such runs reads goodput 0 (not met) and says why.
func TestOverloadRunWithoutAPeakIsNotJudged(t *testing.T) {
	failed := overloadPhase{firstErr: errors.New("connection refused")}
	f := summarizeOverload(overloadFigures{UnloadedP99: 2}, []overloadPhase{failed,
		{peak: 100, accepted: make([]time.Duration, 95), elapsed: time.Second}})
	if f.Goodput != 0.95 || len(f.GoodputRuns) != 1 || f.FirstError != "connection refused" {
		t.Errorf("goodput %v over %v, first error %q; want 0.95 over one run, connection refused", f.Goodput, f.GoodputRuns, f.FirstError)
	}
	f = summarizeOverload(overloadFigures{UnloadedP99: 2}, []overloadPhase{failed})
	var met []bool
	f.checks(func(_ string, _ float64, _ string, m bool) { met = append(met, m) })
	if f.Goodput != 0 || f.PeakPerSec != 0 || met[0] {
		t.Errorf("no peak: goodput %v, peak %v, met %v; want 0, 0, not met", f.Goodput, f.PeakPerSec, met[0])
	}
}

func TestMachineCPUGrows(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/stat is Linux's")
	}
	before := machineCPU()
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		// Busy: the machine's counter must move.
	}
	if after := machineCPU(); after <= before {
		t.Errorf("machine CPU %v after 50 ms of busy work, %v before", after, before)
	}
}
