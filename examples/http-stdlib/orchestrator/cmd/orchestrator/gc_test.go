package main

import (
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
