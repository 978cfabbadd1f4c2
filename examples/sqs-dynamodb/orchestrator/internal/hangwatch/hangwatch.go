// Package hangwatch holds how long the tests wait, on the real clock, for what a healthy run
// does in seconds, so a test that hangs says so, and where, within a minute rather than at
// go test's -timeout (ten minutes by default). It holds a constant only: a function here would
// be code that only tests reach, which deadcode reports, so each consumer's watchdog sits in
// its tests and takes its bound from here.
package hangwatch

import "time"

// Ceiling is the longest a test waits on the real clock for one event (a call's answer, a
// change the code logs), and how long a watched test may run before its watchdog names the
// hang with every goroutine's stack (go test's own -timeout caps it). A healthy wait takes
// milliseconds and the slowest watched test a few seconds under -race: ten times that on a
// loaded two-core machine is still well inside it, so it bounds only a test that is failing.
const Ceiling = 30 * time.Second
