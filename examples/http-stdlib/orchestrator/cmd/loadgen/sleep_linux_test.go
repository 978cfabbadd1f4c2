package main

import (
	"runtime"
	"testing"
)

// Pinned to one core, loadgen still runs with a P beside the one its pacing sleep blocks;
// a GOMAXPROCS already above that is left alone.
func TestSparePacingProcLeavesAPBesideThePacingSleep(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if sparePacingProc(); runtime.GOMAXPROCS(0) != pacingProcs {
		t.Fatalf("from 1: GOMAXPROCS %d, want %d", runtime.GOMAXPROCS(0), pacingProcs)
	}
	runtime.GOMAXPROCS(pacingProcs + 2)
	if sparePacingProc(); runtime.GOMAXPROCS(0) != pacingProcs+2 {
		t.Fatalf("from %d: GOMAXPROCS %d, want it unchanged", pacingProcs+2, runtime.GOMAXPROCS(0))
	}
}
