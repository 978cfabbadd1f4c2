package main

import (
	"strings"
	"testing"
)

func TestOwnCoresProjection(t *testing.T) {
	cpu := func(m map[string]float64) targetFigures {
		f := targetFigures{}
		f.Closed.CPUPerRequest = m
		return f
	}
	// The worker spends 15 µs a direct call: 66,667 calls/s on its core. Through the
	// orchestrator (60 µs) it spends 10: the orchestrator's core is the bottleneck at 16,667
	// req/s, 0.25 of direct; 60 × 0.75 / 15 = 3 orchestrator cores reach the target.
	direct := cpu(map[string]float64{"loadgen": 20, "worker": 15})
	p, ok := ownCoresOf(direct, cpu(map[string]float64{"loadgen": 34, "orchestrator": 60, "worker": 10}))
	want := ownCores{DirectPerSec: 66666.667, E2EPerSec: 16666.667, Ratio: 0.25, Bottleneck: "orchestrator", OrchestratorCores: 3}
	if !ok || p != want {
		t.Fatalf("projection %+v, want %+v", p, want)
	}
	var b strings.Builder
	p.write(&b)
	for _, s := range []string{"direct 66667 req/s, e2e 16667 req/s = 0.250 of direct, bound by the orchestrator's", "0.75 of direct with the orchestrator on 3.0 cores per worker core"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("summary lacks %q:\n%s", s, b.String())
		}
	}

	// A worker that spends more per e2e request than direct / 0.75 bounds e2e below the
	// target whatever the orchestrator has.
	p, ok = ownCoresOf(direct, cpu(map[string]float64{"orchestrator": 10, "worker": 21}))
	if !ok || p.Bottleneck != "worker" || p.OrchestratorCores != 0 || p.Ratio != 0.714 {
		t.Fatalf("worker-bound projection %+v", p)
	}
	b.Reset()
	p.write(&b)
	if !strings.Contains(b.String(), "cannot reach 0.75 of direct on any number of orchestrator cores") {
		t.Errorf("summary:\n%s", b.String())
	}

	// A missing CPU figure (not read on this OS) projects nothing.
	if _, ok := ownCoresOf(direct, cpu(map[string]float64{"worker": 10})); ok {
		t.Error("projected without the orchestrator's CPU")
	}
}
