package main

import (
	"runtime"
	"syscall"
	"time"
)

// preciseSleep sleeps for d with the kernel's precision. time.Sleep wakes through the Go
// runtime's poller, which here overshoots by about a millisecond, i.e. two sends late at
// 2000 req/s; every such delay is charged to the requests' latency (they are timed from
// when they were due), so the pacing would show up as service latency. A nanosleep
// blocks this goroutine's thread instead and is late by tens of microseconds.
//
// The blocked thread keeps its P (the runtime's right to run Go code) until the sleep ends
// or sysmon takes the P back, and with no other P nothing reads the network meanwhile
// (sysmon itself polls it only after 10 ms): with GOMAXPROCS=1, answers wait behind the
// pacing. See sparePacingProc.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR only shortens the wait; the caller re-checks the clock.
}

// pacingProcs is the least GOMAXPROCS for the pacing loop to sleep in its own P while the
// calls' goroutines run in another.
const pacingProcs = 2

// sparePacingProc raises GOMAXPROCS to pacingProcs when it is lower, as it is with loadgen
// pinned to one core (BENCH_PIN=1 on 2 cores). The second P shares that core, but the
// pacing thread spends most of each interval asleep, so the calls' goroutines get it.
// Measured with loadgen pinned to one core, its overload row against a worker pinned to the
// other (twice the worker's saturation, 2 s each, 12 runs per setting in 4 alternated sets):
// at GOMAXPROCS=1, refusals as loadgen saw them took 0.59 ms at p50 and 7.5 ms at p99
// (medians over runs; p99 3.98-28.5 ms), accepted calls 11.2 ms at p99; at 2, 0.26 ms,
// 4.1 ms (2.95-6.0) and 8.7 ms, with the same goodput and loadgen CPU.
func sparePacingProc() {
	if runtime.GOMAXPROCS(0) < pacingProcs {
		runtime.GOMAXPROCS(pacingProcs)
	}
}
