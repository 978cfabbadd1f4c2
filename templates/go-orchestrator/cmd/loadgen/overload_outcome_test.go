package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Under overload a call is accepted, shed, timed out or failed; only the last is a fault.
func TestOverloadOutcomes(t *testing.T) {
	for _, c := range []struct {
		err            error
		shed, timedOut bool
	}{
		{status.Error(codes.ResourceExhausted, "at capacity"), true, false},
		{fmt.Errorf("POST /v1/score/batch: %w", errTooManyRequests), true, false},
		{status.Error(codes.DeadlineExceeded, "deadline"), false, true},
		{fmt.Errorf("post: %w", context.DeadlineExceeded), false, true},
		{fmt.Errorf("POST /v1/score/batch: %w", errGatewayTimeout), false, true},
		{status.Error(codes.Unavailable, "gone"), false, false},
		{errors.New("POST /v1/score/batch: 502 Bad Gateway"), false, false},
	} {
		if got := shed(c.err); got != c.shed {
			t.Errorf("shed(%v) = %v, want %v", c.err, got, c.shed)
		}
		if got := timedOut(c.err); got != c.timedOut {
			t.Errorf("timedOut(%v) = %v, want %v", c.err, got, c.timedOut)
		}
	}
}
