package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"sync"
)

// pacedHeapLimit caps loadgen's heap while its collector is paused (pauseCollection), unless
// GOMEMLIMIT sets a limit of its own. A paced phase at the defaults (2,000 req/s for 2 s, at
// about 4.5 KB per end-to-end request) leaves about 20 MB of garbage, so it runs without one
// collection; a longer or faster phase collects when the heap nears the cap (the runtime's soft
// memory limit), a few times a phase instead of every 4 MB.
const pacedHeapLimit = 256 << 20

// gcPause counts the paced phases running now, so overlapping ones restore the settings only
// when the last of them ends.
var gcPause struct {
	sync.Mutex
	depth   int
	percent int
	limit   int64
}

// pauseCollection turns loadgen's proportional garbage collection off for a paced phase and
// returns the function that turns it back on; the heap is then bounded by the memory limit
// (pacedHeapLimit, or GOMEMLIMIT when set).
//
// Why: a paced request is timed from when it was due, so any stall of loadgen itself is
// charged to the service it measures. At Go's default GOGC, loadgen collects every 4 MB,
// about every 220 ms at 2,000 req/s end to end, with mark phases of 1-3 ms on its core. In
// 6 alternated pairs of the end-to-end fixed-rate row (BENCH_PIN=1 on 2 cores), p99 was
// 2.04-3.98 ms (median 3.29) with loadgen collecting and 1.35-2.46 ms (median 2.03) with
// this pause. The services' own collections still count: they are what a client would see.
func pauseCollection() (resume func()) {
	gcPause.Lock()
	defer gcPause.Unlock()
	if gcPause.depth == 0 {
		gcPause.limit = debug.SetMemoryLimit(-1)
		if gcPause.limit == math.MaxInt64 {
			debug.SetMemoryLimit(pacedHeapLimit)
		}
		// Start the phase with the last one's garbage gone, so the cap is all headroom.
		runtime.GC()
		gcPause.percent = debug.SetGCPercent(-1)
	}
	gcPause.depth++
	var once sync.Once
	return func() {
		once.Do(func() {
			gcPause.Lock()
			defer gcPause.Unlock()
			gcPause.depth--
			if gcPause.depth == 0 {
				debug.SetGCPercent(gcPause.percent)
				debug.SetMemoryLimit(gcPause.limit)
			}
		})
	}
}
