package main

import (
	"context"
	"net"
	"os"
	"testing"
	"time"
)

// SIGTERM once run serves makes it return nil.
func TestRunToldToStopDuringStartUpReturnsNil(t *testing.T) {
	workers, _ := silentPeer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := startRun(ctx, t, workers)
	// Stopped only once it serves: a stop before that would test a different moment, and a
	// fixed sleep cannot tell which one a loaded machine gave.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("tcp", os.Getenv("LISTEN_ADDR")); err == nil {
			c.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run returned %v before serving", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("run never served")
		}
	}
	stopRun(t, cancel, done)
}
