package pipeline

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
)

// The defaults of Retry, from create-hybrid-backend's retry budget (src/render/retries.ts),
// which the README's "Limits and retries" states too.
const (
	DefaultAttempts = 8
	DefaultBase     = 100 * time.Millisecond
	DefaultMax      = 5000 * time.Millisecond
)

// Retry retries transient failures with exponential backoff and full jitter: each delay is
// drawn uniformly from zero to min(Max, Base·2ⁿ), which spreads out consumers that failed
// together, so they do not hammer a recovering worker or table in lockstep.
// The zero value is usable.
type Retry struct {
	// Attempts bounds the calls, the first included. Default DefaultAttempts: with the default
	// delays that waits about 6s in all on average (11s at most), enough to ride out a
	// worker restart without giving up the messages in hand.
	Attempts int
	// Base is the ceiling of the first delay. Default DefaultBase.
	Base time.Duration
	// Max caps every delay. Default DefaultMax.
	Max time.Duration
	// Sleep waits d or until ctx is done. Default: a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a uniform value in [0, n). Default math/rand/v2's. Tests replace it.
	Rand func(n int64) int64
}

// Do calls op until it succeeds, fails with an error that is not transient, runs out of
// attempts or ctx is done, calling retried before each retry. It returns op's last error.
func (r Retry) Do(ctx context.Context, op func(context.Context) error, retried func(attempt int, err error)) error {
	attempts := r.MaxAttempts()
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || attempt >= attempts || !Transient(err) || ctx.Err() != nil {
			return err
		}
		if retried != nil {
			retried(attempt, err)
		}
		if r.Wait(ctx, attempt) != nil {
			return err
		}
	}
}

// MaxAttempts is how many calls Do makes at most, the first included: Attempts, or
// DefaultAttempts when it is unset. Callers that retry in their own loop (cmd/produce resends
// only a batch's failed entries) stop at the same count.
func (r Retry) MaxAttempts() int {
	if r.Attempts <= 0 {
		return DefaultAttempts
	}
	return r.Attempts
}

// Wait sleeps the jittered delay that follows failed attempt number attempt (counting from 1).
// It returns early with ctx's error when ctx is done.
func (r Retry) Wait(ctx context.Context, attempt int) error {
	sleep := r.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	return sleep(ctx, r.Delay(attempt))
}

// Delay draws the delay after failed attempt number attempt.
func (r Retry) Delay(attempt int) time.Duration {
	base, ceiling := r.Base, r.Max
	if base <= 0 {
		base = DefaultBase
	}
	if ceiling <= 0 {
		ceiling = DefaultMax
	}
	d := base
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2 // Doubling until the cap, rather than shifting, cannot overflow.
	}
	d = min(d, ceiling)
	random := r.Rand
	if random == nil {
		random = rand.Int64N
	}
	return time.Duration(random(int64(d) + 1))
}

// Sleep waits d, or until ctx is done and then returns its error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Transient reports whether err may well go away on its own: the worker restarting or
// shedding load (UNAVAILABLE, RESOURCE_EXHAUSTED), a call timing out, AWS throttling or
// a 5xx. A call that timed out may come back as DEADLINE_EXCEEDED or, from tonic, as
// CANCELLED ("Timeout expired"); the worker client turns the latter into the former when
// the deadline was ours, and any other CANCELLED from the worker (a call it dropped while
// stopping) is as transient. Our own cancellation is no reason to stop here: Do sees ctx
// done and gives up. Anything else (a bad request, a missing table, denied access, a
// message over a size limit) would fail again.
func Transient(err error) bool {
	switch status.Code(err) {
	case codes.ResourceExhausted:
		return !workerclient.TooLarge(err)
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.Aborted:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || awsenv.Retryable(err)
}

// Shed reports whether err is the worker refusing a call for load (workerclient.Shed): the
// consumers back off and retry it in place, without spending its redelivery budget, however
// long the overload lasts. A message over a size limit is no load: it is Refused.
func Shed(err error) bool { return workerclient.Shed(err) }

// Refused reports whether err is the worker turning a call down for what it carries, with
// the worker itself up: a request it finds invalid (INVALID_ARGUMENT, OUT_OF_RANGE), cannot
// score (FAILED_PRECONDITION) or does not support (UNIMPLEMENTED), or a message over a size
// limit. The same requests would fail the same way however often they are retried, but fewer
// of them may pass: a consumer narrows such a call down to the requests refused on their own,
// and dead-letters those alone. A failure to store (ErrStore) is never the worker's refusal.
func Refused(err error) bool {
	if err == nil || errors.Is(err, ErrStore) {
		return false
	}
	switch status.Code(err) {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange, codes.Unimplemented:
		return true
	case codes.ResourceExhausted:
		return workerclient.TooLarge(err)
	}
	return false
}
