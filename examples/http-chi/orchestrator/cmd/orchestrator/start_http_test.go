package main

import (
	"context"
	"testing"
	"time"
)

// SIGTERM while start-up still waits on something (here, once it serves) makes run return
// nil.
func TestRunToldToStopDuringStartUpReturnsNil(t *testing.T) {
	workers, _ := silentPeer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := startRun(ctx, t, workers)
	time.Sleep(200 * time.Millisecond)
	stopRun(t, cancel, done)
}
