package main

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"
)

// SIGTERM once run serves makes it return nil.
func TestRunToldToStopDuringStartUpReturnsNil(t *testing.T) {
	workers, _ := silentPeer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Stopped only once it serves: a stop before that would test a different moment, and a
	// fixed sleep cannot tell which one a loaded machine gave. The server logs "listening"
	// once its listener is bound.
	listening := onLog(func(r slog.Record) bool {
		addr := ""
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "addr" {
				addr = a.Value.String()
			}
			return true
		})
		return r.Message == "listening" && addr == os.Getenv("LISTEN_ADDR")
	})
	done := startRun(ctx, t, workers, listening)
	select {
	case <-listening.ch:
	case err := <-done:
		t.Fatalf("run returned %v before serving", err)
	case <-time.After(realCeiling):
		t.Fatalf("run never served within %v", realCeiling)
	}
	stopRun(t, cancel, done)
}
