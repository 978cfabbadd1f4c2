package pipeline

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Only a whole call answered UNIMPLEMENTED says the worker is broken: an item's UNIMPLEMENTED
// within an answered batch is the item's own, and a failure to store is no answer of the worker.
func TestBrokenIsAWholeCallAnsweredUnimplemented(t *testing.T) {
	unimplemented := status.Error(codes.Unimplemented, "unknown method ScoreBatch")
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{unimplemented, true},
		{fmt.Errorf("scoring: %w", unimplemented), true},
		{fmt.Errorf("%w 2 of 5: %w", errItem, unimplemented), false},
		{fmt.Errorf("%w: %w", ErrStore, unimplemented), false},
		{status.Error(codes.FailedPrecondition, "model not loaded"), false},
	} {
		if got := Broken(tc.err); got != tc.want {
			t.Errorf("Broken(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// A crash is a status the worker answered: an error of ours without a gRPC code is none, though
// status.Code calls it UNKNOWN.
func TestCrashedIsTheWorkersInternalOrUnknown(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{status.Error(codes.Internal, "scoring failed unexpectedly"), true},
		{fmt.Errorf("scoring: %w", status.Error(codes.Unknown, "panic")), true},
		{errors.New("worker returned 3 results for 4 requests"), false},
		{fmt.Errorf("%w: %w", ErrStore, status.Error(codes.Internal, "table")), false},
		{status.Error(codes.Unavailable, "restarting"), false},
	} {
		if got := Crashed(tc.err); got != tc.want {
			t.Errorf("Crashed(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// Records failing alone are poison only once the worker scored something since the round began;
// rounds with nothing scored hold them and, BrokenAfter in a row, report the worker broken
// until it scores again.
func TestIsolationVouchesOnlyForAWorkerThatScores(t *testing.T) {
	var iso Isolation
	reason := status.Error(codes.FailedPrecondition, "model not loaded")
	for round := 1; round <= BrokenAfter; round++ {
		if iso.Isolated(context.Background(), iso.Mark(), 10, reason) {
			t.Fatalf("round %d: isolated with nothing scored", round)
		}
		if broken := iso.Err() != nil; broken != (round >= BrokenAfter) {
			t.Fatalf("round %d: broken = %v, want it from round %d", round, broken, BrokenAfter)
		}
	}
	mark := iso.Mark()
	iso.Scored(1)
	if err := iso.Err(); err != nil {
		t.Errorf("still broken (%v) once the worker scored", err)
	}
	if !iso.Isolated(context.Background(), mark, 1, reason) {
		t.Error("not isolated though the worker scored another record in the round")
	}
	iso.Broke(status.Error(codes.Unimplemented, "unknown service"))
	if iso.Err() == nil {
		t.Error("a call answered UNIMPLEMENTED did not make the worker broken at once")
	}
}

// With no other traffic, the canary speaks for the worker: one that scores it makes the records
// poison at once, and readiness never fails; one that fails it counts towards BrokenAfter as
// before. A round asks at most once, and not after another round's canary failed since it began.
func TestIsolationAsksACanaryWhenNothingElseVouches(t *testing.T) {
	reason := status.Error(codes.FailedPrecondition, "feature store has no entry for this customer")
	var canaryErr error
	sent := 0
	iso := Isolation{Canary: func(context.Context) error {
		sent++
		return canaryErr
	}}
	for round := 1; round <= 2*BrokenAfter; round++ {
		if !iso.Isolated(context.Background(), iso.Mark(), 1, reason) {
			t.Fatalf("round %d: held though the canary scored", round)
		}
		if err := iso.Err(); err != nil {
			t.Fatalf("round %d: readiness reports %v for a worker that scores the canary", round, err)
		}
	}
	if sent != 2*BrokenAfter {
		t.Errorf("%d canaries over %d rounds, want one a round", sent, 2*BrokenAfter)
	}
	canaryErr = status.Error(codes.FailedPrecondition, "model not loaded")
	sent = 0
	for round := 1; round <= BrokenAfter; round++ {
		early := iso.Mark() // a round on another loop, begun before this one's canary
		if iso.Isolated(context.Background(), iso.Mark(), 10, reason) || iso.Isolated(context.Background(), early, 10, reason) {
			t.Fatalf("round %d: isolated though the canary failed", round)
		}
	}
	if sent != BrokenAfter {
		t.Errorf("%d canaries over %d rounds on two loops, want one a round", sent, BrokenAfter)
	}
	if iso.Err() == nil {
		t.Error("a worker that fails the canary too was not reported broken")
	}
}
