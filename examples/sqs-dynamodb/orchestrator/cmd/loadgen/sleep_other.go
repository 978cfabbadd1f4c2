//go:build !linux

package main

import "time"

// preciseSleep falls back to time.Sleep off Linux; the no-op floor in the report shows what
// its coarser wake-ups add to the fixed-rate latencies.
func preciseSleep(d time.Duration) { time.Sleep(d) }

// sparePacingProc leaves GOMAXPROCS as it is: time.Sleep gives the P back while it waits.
func sparePacingProc() {}
