package main

import (
	"strconv"
	"strings"
	"testing"
)

func TestOwnCoresProjection(t *testing.T) {
	cpu := func(m map[string]float64) targetFigures {
		f := targetFigures{}
		f.Closed.CPUPerRequest = m
		return f
	}
	// The worker spends 15 µs a direct call: 66,667 calls/s on its core.
	direct := cpu(map[string]float64{"loadgen": 20, "worker": 15})
	for _, c := range []struct {
		name                     string
		orchestrator, worker     float64
		e2e, ratio               float64
		bottleneck, cores, words string
	}{
		// Through the orchestrator (60 µs) the worker spends 10: the orchestrator's core is the
		// bottleneck at 16,667 req/s, 0.25 of direct; 60 × 0.75 / 15 = 3 orchestrator cores.
		{"orchestrator-bound", 60, 10, 16666.667, 0.25, "orchestrator", "3", "0.75 of direct with the orchestrator on 3.00 cores per worker core"},
		// The worker is the bottleneck but under 15 / 0.75 = 20 µs: the target is in reach.
		{"worker-bound, in reach", 10, 18, 55555.556, 0.833, "worker", "0.5", "0.75 of direct with the orchestrator on 0.50 cores per worker core"},
		{"worker-bound, at the edge", 10, 20, 50000, 0.75, "worker", "0.5", "on 0.50 cores per worker core"},
		// Past it, no number of orchestrator cores reaches the target.
		{"worker-bound, out of reach", 10, 21, 47619.048, 0.714, "worker", "", "cannot reach 0.75 of direct on any number of orchestrator cores"},
	} {
		p, ok := ownCoresOf(direct, cpu(map[string]float64{"loadgen": 34, "orchestrator": c.orchestrator, "worker": c.worker}))
		if !ok || p.DirectPerSec != 66666.667 || p.E2EPerSec != c.e2e || p.Ratio != c.ratio || p.Bottleneck != c.bottleneck {
			t.Errorf("%s: projection %+v", c.name, p)
		}
		cores := ""
		if p.OrchestratorCores != nil {
			cores = strconv.FormatFloat(*p.OrchestratorCores, 'g', -1, 64)
		}
		if cores != c.cores {
			t.Errorf("%s: orchestrator cores %q, want %q", c.name, cores, c.cores)
		}
		var b strings.Builder
		p.write(&b)
		if !strings.Contains(b.String(), c.words) || !strings.Contains(b.String(), "bound by the "+c.bottleneck+"'s CPU per request") {
			t.Errorf("%s: summary lacks %q:\n%s", c.name, c.words, b.String())
		}
	}

	// A missing CPU figure (not read on this OS) projects nothing.
	if _, ok := ownCoresOf(direct, cpu(map[string]float64{"worker": 10})); ok {
		t.Error("projected without the orchestrator's CPU")
	}
}
