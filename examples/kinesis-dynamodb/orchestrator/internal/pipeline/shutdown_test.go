package pipeline

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestShutdownOutlivesTheRunsContextUntilCut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s := NewShutdown(ctx, 3*time.Second)
		defer s.Close()
		cancel()
		if s.Work.Err() != nil || s.Tidy.Err() != nil {
			t.Fatal("SIGTERM (the run's context) ended the work or tidying; only the cut may")
		}
		start := time.Now()
		s.Cut()
		if s.Work.Err() == nil {
			t.Fatal("Cut left Work running")
		}
		<-s.Tidy.Done()
		if got := time.Since(start); got != 3*time.Second {
			t.Fatalf("Tidy ended %v after the cut, want the 3s grace", got)
		}
	})
}
