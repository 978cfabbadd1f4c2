package main

import "testing"

// Runs alternate off, sampled, always; run i of each met the same moment of the machine, so a
// ratio is the median of the per-run ratios, and errors and exports add up over runs.
func TestTracingRowsFoldAlternatedRuns(t *testing.T) {
	run := func(v string, perSecond, cpu float64, exports int64) tracingRow {
		return tracingRow{Variant: v, MaxPerSecond: perSecond, P50: 1, P99: 2, CPUPerRequest: cpu, Runs: 1,
			Sink: sinkStats{Requests: exports, Bytes: 10 * exports}, Figures: []targetFigures{{}}}
	}
	// The machine slows in run 2: every variant's CPU doubles there.
	order, groups := byVariant([]tracingRow{
		run("off", 1000, 100, 0), run("always", 600, 160, 3),
		run("off", 500, 200, 0), run("always", 300, 300, 4),
		run("off", 900, 110, 0), run("always", 550, 180, 5),
	}, func(r tracingRow) string { return r.Variant })
	rows := tracingRows(order, groups)
	if len(rows) != 2 || rows[0].Variant != "off" || rows[1].Variant != "always" {
		t.Fatalf("rows = %+v", rows)
	}
	always := rows[1]
	if always.MaxPerSecond != 550 || always.CPUPerRequest != 180 || always.Runs != 3 || len(always.Figures) != 3 {
		t.Fatalf("always = %+v, want medians 550 req/s, 180 us over 3 runs", always)
	}
	if always.Sink.Requests != 12 || always.Sink.Bytes != 120 {
		t.Fatalf("exports = %+v, want the runs' sum", always.Sink)
	}
	// Per run 1.6, 1.5, 1.636: median 1.6, where the ratio of the medians would be 180/110.
	if always.CPURatio != 1.6 || always.ThroughputRatio != 0.6 {
		t.Fatalf("ratios: cpu %v, req/s %v; want 1.6, 0.6", always.CPURatio, always.ThroughputRatio)
	}
	if rows[0].CPURatio != 1 || rows[0].ThroughputRatio != 1 || rows[0].P99Ratio != 1 {
		t.Fatalf("off's ratios to itself = %+v", rows[0])
	}
}
