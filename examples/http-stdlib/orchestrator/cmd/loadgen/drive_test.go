package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A refusal is retried after a backoff and counted apart: not a request served, not an error.
func TestClosedLoopBacksOffFromRefusalsAndCountsThemApart(t *testing.T) {
	var calls atomic.Int64
	refuseFirst := func(context.Context) error {
		if calls.Add(1) <= 3 {
			return status.Error(codes.ResourceExhausted, "at its in-flight limit")
		}
		return nil
	}
	p := closedLoop(context.Background(), refuseFirst, 1, 20*time.Millisecond)
	if p.shed != 3 || p.errors != 0 {
		t.Fatalf("shed %d, errors %d; want 3 and 0", p.shed, p.errors)
	}
	if p.requests != int(calls.Load())-3 || len(p.latencies) != p.requests {
		t.Fatalf("%d requests, %d latencies after %d calls", p.requests, len(p.latencies), calls.Load())
	}
	// Any other failure is an error, retried at once.
	failing := func(context.Context) error { return errors.New("boom") }
	p = closedLoop(context.Background(), failing, 2, 5*time.Millisecond)
	if p.shed != 0 || p.errors == 0 || p.errors != p.requests {
		t.Fatalf("shed %d, errors %d of %d requests", p.shed, p.errors, p.requests)
	}
}

// Consecutive refusals wait longer and longer, up to the cap: 10 refusals in a row take at
// least the jittered waits' floor of 1 ns each and at most the sum of their bounds.
func TestClosedLoopBackoffIsBoundedByTheCap(t *testing.T) {
	var calls atomic.Int64
	refuse := func(context.Context) error {
		calls.Add(1)
		return status.Error(codes.ResourceExhausted, "full")
	}
	d := 100 * time.Millisecond
	start := time.Now()
	p := closedLoop(context.Background(), refuse, 1, d)
	// Without a backoff a sender would make thousands of calls in 100 ms.
	if p.shed < 3 || p.shed > 200 || p.requests != 0 {
		t.Fatalf("%d refusals and %d requests in %v", p.shed, p.requests, d)
	}
	if took := time.Since(start); took > d+shedBackoffCap+50*time.Millisecond {
		t.Fatalf("the loop overran its %v by more than one capped backoff: %v", d, took)
	}
}
