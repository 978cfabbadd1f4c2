package workerclient

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FailureLog holds the one rule for the level of a log line about a failure on a path that
// runs per request, per message or per iteration of a loop (the HTTP API's answer, a queue
// pipeline's retry, a consumer's poll, a lease's renewal, a health watch):
//
//   - An outcome expected under load or of a client, which metrics already count
//     (rpc_client_call_duration_seconds by gRPC code, the HTTP request histogram by status,
//     the pipelines' retried and throttled counters), is DEBUG: a refusal for load, AWS
//     throttling, a deadline passed, a worker unavailable (its health watcher logs the change
//     once), the client's own fault or its leaving. Under overload these come thousands of
//     times a second, and each line is a JSON encode and a write on the core the shedding was
//     meant to spare.
//   - Anything else (a worker error that is neither load nor the client's fault, an internal
//     error, an AWS call failing other than by throttling) is WARN, at most one a second: each
//     is worth reading, but a worker failing every call, or a table every write, is hot too,
//     so the rest of that second's go to DEBUG. One atomic timestamp does it;
//     golang.org/x/time/rate would add a module for the same check.
//
// Level classifies a worker call's error itself; Outcome takes the caller's classification,
// for failures this package cannot tell apart (AWS throttling, with awsenv.Throttled).
// The zero value is ready; keep one per component, as its WARNs share the second.
type FailureLog struct{ lastWarn atomic.Int64 }

// Level is the level of a line about err, a failed call to a worker (see FailureLog).
func (f *FailureLog) Level(err error) slog.Level {
	return f.Outcome(Expected(err))
}

// Outcome is the level of a line about a failure the caller has classified: DEBUG if expected,
// else WARN at most once a second, as for Level.
func (f *FailureLog) Outcome(expected bool) slog.Level {
	if expected {
		return slog.LevelDebug
	}
	return f.Unexpected()
}

// Unexpected is the level of a line about a failure the caller knows load and clients do not
// explain, such as a worker refusing as invalid a request the orchestrator validated: WARN,
// at most once a second, as for Level.
func (f *FailureLog) Unexpected() slog.Level {
	now := time.Now().UnixNano()
	last := f.lastWarn.Load()
	if now-last >= int64(time.Second) && f.lastWarn.CompareAndSwap(last, now) {
		return slog.LevelWarn
	}
	return slog.LevelDebug
}

// Expected reports whether err is a worker call's outcome that load or the client explains (see
// FailureLog): logged at DEBUG, since a metric counts it already.
func Expected(err error) bool {
	if Shed(err) || TooLarge(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	switch status.Code(err) {
	case codes.DeadlineExceeded, codes.Canceled, codes.Unavailable, codes.InvalidArgument:
		return true
	}
	return false
}
