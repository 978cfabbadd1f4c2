package main

import (
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
)

// The orchestrator's own GOGC applies only where the environment sets none: a team's GOGC
// (off included) is left as the runtime read it.
func TestTuneGCKeepsTheEnvironmentsGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	env := func(gogc string) func(string) string {
		return func(name string) string {
			if name == "GOGC" {
				return gogc
			}
			return ""
		}
	}
	if got := tuneGC(env("")); got != defaultGCPercent || debug.SetGCPercent(defaultGCPercent) != defaultGCPercent {
		t.Fatalf("GOGC unset: got %d, want %d in effect", got, defaultGCPercent)
	}
	// What the runtime would have read from GOGC=off.
	debug.SetGCPercent(-1)
	if got := tuneGC(env("off")); got != -1 || debug.SetGCPercent(-1) != -1 {
		t.Fatalf("GOGC=off: got %d, want -1 left in effect", got)
	}
}

// A team's GOMEMLIMIT wins over the cgroup's limit, and what limitMemory returns is the limit
// in effect.
func TestLimitMemoryKeepsTheEnvironmentsGOMEMLIMIT(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	logger := slog.New(slog.DiscardHandler)

	got := limitMemory(logger)
	if inEffect := debug.SetMemoryLimit(-1); got != inEffect {
		t.Fatalf("returned %d, %d in effect", got, inEffect)
	}

	// What the runtime would have read from GOMEMLIMIT=64MiB.
	t.Setenv("GOMEMLIMIT", "64MiB")
	debug.SetMemoryLimit(64 << 20)
	if got := limitMemory(logger); got != 64<<20 || debug.SetMemoryLimit(-1) != 64<<20 {
		t.Fatalf("GOMEMLIMIT=64MiB: got %d, want %d left in effect", got, 64<<20)
	}
}
