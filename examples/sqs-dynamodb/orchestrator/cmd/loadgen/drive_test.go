package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The closed-loop tests run on synctest's virtual clock: the loop ends on a wall-clock
// deadline, and on a busy machine a real 20 ms could end it before the third backoff did
// (seen in CI: "shed 2, errors 0; want 3 and 0"). A call that answers takes callTime of
// virtual time, so the clock moves and the loop ends.
const callTime = time.Millisecond

// A refusal is retried after a backoff and counted apart: not a request served, not an error.
func TestClosedLoopBacksOffFromRefusalsAndCountsThemApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		refuseFirst := func(context.Context) error {
			if calls.Add(1) <= 3 {
				return status.Error(codes.ResourceExhausted, "at its in-flight limit")
			}
			time.Sleep(callTime)
			return nil
		}
		// The three backoffs take at most 1+2+4 ms, so 20 ms leaves room for requests.
		p := closedLoop(context.Background(), refuseFirst, 1, 20*time.Millisecond)
		if p.shed != 3 || p.errors != 0 || p.requests == 0 {
			t.Fatalf("shed %d, errors %d, requests %d; want 3, 0 and some", p.shed, p.errors, p.requests)
		}
		if p.requests != int(calls.Load())-3 || len(p.latencies) != p.requests {
			t.Fatalf("%d requests, %d latencies after %d calls", p.requests, len(p.latencies), calls.Load())
		}
	})
}

// Any other failure is an error, retried at once, with no backoff.
func TestClosedLoopCountsOtherFailuresAsErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failing := func(context.Context) error {
			time.Sleep(callTime)
			return errors.New("boom")
		}
		d := 5 * time.Millisecond
		p := closedLoop(context.Background(), failing, 2, d)
		// Two senders, one call per callTime each, none waiting between calls.
		if want := 2 * int(d/callTime); p.shed != 0 || p.errors != want || p.requests != want {
			t.Fatalf("shed %d, errors %d of %d requests; want 0, %d and %d", p.shed, p.errors, p.requests, want, want)
		}
	})
}

// Consecutive refusals wait longer and longer, up to the cap: 10 refusals in a row take at
// least the jittered waits' floor of 1 ns each and at most the sum of their bounds.
func TestClosedLoopBackoffIsBoundedByTheCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Without a backoff the virtual clock would never move: the 1000th call ends the loop.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var calls atomic.Int64
		refuse := func(context.Context) error {
			if calls.Add(1) >= 1000 {
				cancel()
			}
			return status.Error(codes.ResourceExhausted, "full")
		}
		d := 100 * time.Millisecond
		start := time.Now()
		p := closedLoop(ctx, refuse, 1, d)
		// Waits of up to 1, 2, 4 ... 32 ms (16 ms on average once capped) allow at least 3
		// refusals in 100 ms, and 200 would need most waits near their 1 ns floor.
		if p.shed < 3 || p.shed > 200 || p.requests != 0 {
			t.Fatalf("%d refusals and %d requests in %v", p.shed, p.requests, d)
		}
		// The last wait starts before the deadline and is at most the cap.
		if took := time.Since(start); took > d+shedBackoffCap {
			t.Fatalf("the loop overran its %v by more than one capped backoff: %v", d, took)
		}
	})
}
