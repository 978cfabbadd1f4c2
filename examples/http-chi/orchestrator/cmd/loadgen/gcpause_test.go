package main

import (
	"context"
	"math"
	"runtime/debug"
	"testing"
	"time"
)

// gcPercent reads GOGC as the runtime has it: setting is the only way to read it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// restoreGC puts the test process's collector settings back however a test ends.
func restoreGC(t *testing.T) {
	percent, limit := gcPercent(), debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

// Every paced call runs with loadgen's proportional collection off and its heap capped, and
// both settings are back once the phase ends.
func TestPacedCallsRunWithoutCollection(t *testing.T) {
	restoreGC(t)
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	var percents []int
	var limits []int64
	pace(context.Background(), 1000, 3, 1, func(int, time.Time) {
		percents = append(percents, gcPercent())
		limits = append(limits, debug.SetMemoryLimit(-1))
	})
	for i := range percents {
		if percents[i] != -1 || limits[i] != pacedHeapLimit {
			t.Fatalf("call %d ran with GOGC=%d and a memory limit of %d; want -1 and %d", i, percents[i], limits[i], pacedHeapLimit)
		}
	}
	if len(percents) != 3 {
		t.Fatalf("%d calls ran; want 3", len(percents))
	}
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 100 || l != math.MaxInt64 {
		t.Fatalf("after the phase: GOGC=%d, memory limit %d; want 100 and no limit", p, l)
	}
}

// A memory limit the user set (GOMEMLIMIT) is the cap instead of pacedHeapLimit.
func TestPauseKeepsAMemoryLimitAlreadySet(t *testing.T) {
	restoreGC(t)
	debug.SetGCPercent(50)
	debug.SetMemoryLimit(64 << 20)
	resume := pauseCollection()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != -1 || l != 64<<20 {
		t.Fatalf("paused: GOGC=%d, memory limit %d; want -1 and %d", p, l, 64<<20)
	}
	resume()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 50 || l != 64<<20 {
		t.Fatalf("resumed: GOGC=%d, memory limit %d; want 50 and %d", p, l, 64<<20)
	}
}

// Overlapping phases resume collection only when the last one ends, and a resume called
// twice counts once.
func TestOverlappingPausesResumeWhenTheLastEnds(t *testing.T) {
	restoreGC(t)
	debug.SetGCPercent(100)
	first, second := pauseCollection(), pauseCollection()
	first()
	first()
	if p := gcPercent(); p != -1 {
		t.Fatalf("one of two phases ended: GOGC=%d; want -1 until the other ends", p)
	}
	second()
	if p := gcPercent(); p != 100 {
		t.Fatalf("both phases ended: GOGC=%d; want 100", p)
	}
}
