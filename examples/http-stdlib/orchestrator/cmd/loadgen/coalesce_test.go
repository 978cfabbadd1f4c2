package main

import (
	"strings"
	"testing"
)

func TestParseSumCountAddsEveryWorkersSamples(t *testing.T) {
	text := `# HELP orchestrator_coalesced_batch_size x
# TYPE orchestrator_coalesced_batch_size histogram
orchestrator_coalesced_batch_size_bucket{worker="a",le="1"} 3
orchestrator_coalesced_batch_size_sum{worker="a"} 12
orchestrator_coalesced_batch_size_count{worker="a"} 4
orchestrator_coalesced_batch_size_sum{worker="b"} 1
orchestrator_coalesced_batch_size_count{worker="b"} 1
orchestrator_worker_batch_items_sum{worker="a"} 99
`
	sum, count, err := parseSumCount(strings.NewReader(text), "orchestrator_coalesced_batch_size")
	if err != nil || sum != 13 || count != 5 {
		t.Fatalf("got sum %v, count %v, err %v; want 13, 5", sum, count, err)
	}
}

func TestCoalesceRowsFoldAlternatedRuns(t *testing.T) {
	run := func(v string, perSecond, batch float64, errs int) coalesceRow {
		return coalesceRow{Variant: v, MaxPerSecond: perSecond, P99: 2, MeanBatch: batch, Errors: errs, Runs: 1}
	}
	order, groups := byVariant([]coalesceRow{
		run("off", 1000, 1, 0), run("on", 1100, 3, 0),
		run("off", 500, 1, 1), run("on", 600, 4, 0),
		run("off", 900, 1, 0), run("on", 1000, 2, 2),
	}, func(r coalesceRow) string { return r.Variant })
	rows := coalesceRows(order, groups)
	if len(rows) != 2 || rows[0].Errors != 1 || rows[1].Errors != 2 || rows[1].Runs != 3 {
		t.Fatalf("rows = %+v", rows)
	}
	// Per run 1.1, 1.2, 1.111: median 1.111; the medians' ratio would be 1000/900 too, but
	// the mean batch is the median of the runs' means.
	if on := rows[1]; on.MaxPerSecond != 1000 || on.MeanBatch != 3 || on.ThroughputRatio != 1.111 || rows[0].MeanBatch != 1 {
		t.Fatalf("on = %+v", on)
	}
}
