package main

import (
	"syscall"
	"time"
)

// preciseSleep sleeps for d with the kernel's precision. time.Sleep wakes through the Go
// runtime's poller, which here overshoots by about a millisecond, i.e. two sends late at
// 2000 req/s; every such delay is charged to the requests' latency (they are timed from
// when they were due), so the pacing would show up as service latency. A nanosleep
// blocks this goroutine's thread instead and is late by tens of microseconds.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR only shortens the wait; the caller re-checks the clock.
}
