// Package hangwatch bounds, on the real clock, how long the tests wait for what a healthy run
// does in seconds, so a test that hangs says so, and where, within a minute rather than at
// go test's -timeout (ten minutes by default). Only tests import it.
package hangwatch

import (
	"fmt"
	"runtime/debug"
	"testing"
	"time"
)

// Ceiling is the longest a test waits on the real clock for one event (a call's answer, a
// change the code logs) or runs under Watch. A healthy wait takes milliseconds, the slowest
// watched test a few seconds under -race: ten times that on a loaded two-core machine is still
// well inside it, so it bounds only a test that is already failing.
const Ceiling = 30 * time.Second

// After is how long Watch lets t run: Ceiling, or less when go test's -timeout comes sooner,
// so that Watch still speaks first.
func After(t *testing.T) time.Duration {
	deadline, ok := t.Deadline()
	if !ok { // -timeout 0
		return Ceiling
	}
	return min(Ceiling, time.Until(deadline)*19/20)
}

// Watch ends the test binary if t is still running After(t) from now, with what (the hang
// suspected) and every goroutine's stack, as go test's own -timeout does but sooner and
// naming the hang. Arm it outside any synctest bubble: its timer is on the real clock, the
// only one that moves while a bubble spins without blocking or waits on a mutex. It panics
// rather than failing t, since a frozen test cannot be made to return.
func Watch(t *testing.T, what string) {
	limit := After(t)
	timer := time.AfterFunc(limit, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("%s still running after %v: %s", t.Name(), limit, what))
	})
	t.Cleanup(func() { timer.Stop() })
}
