package main

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// SIGTERM while start-up still waits on something (here, an AWS endpoint that takes the
// connection and never answers) makes run return nil, not the cut-short call's "context
// canceled".
func TestRunToldToStopDuringStartUpReturnsNil(t *testing.T) {
	silent, accepted := silentPeer(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://"+silent)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := startRun(ctx, t, silent, slog.DiscardHandler)
	select {
	case <-accepted: // start-up is waiting on the AWS endpoint now
	case err := <-done:
		t.Fatalf("run returned %v before calling AWS", err)
	case <-time.After(realCeiling):
		t.Fatalf("start-up never called the AWS endpoint within %v", realCeiling)
	}
	stopRun(t, cancel, done)
}
