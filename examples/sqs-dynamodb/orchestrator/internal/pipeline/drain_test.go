package pipeline

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestDrainCutsOffWorkStillRunningAtTheTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewShutdown(context.Background(), 0)
		defer s.Close()
		var wg sync.WaitGroup
		wg.Go(func() { <-s.Work.Done() })
		start := time.Now()
		if !Drain(&wg, 10*time.Second, s.Cut) {
			t.Fatal("Drain reported no cut for work that ran past the timeout")
		}
		if got := time.Since(start); got != 10*time.Second {
			t.Fatalf("Drain returned after %v, want the 10s timeout", got)
		}
		if Drain(&wg, time.Second, s.Cut) {
			t.Fatal("Drain of finished work reported a cut")
		}
	})
}
