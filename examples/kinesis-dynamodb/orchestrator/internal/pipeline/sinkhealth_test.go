package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestSinkHealthProbesWithBackoffUntilTheSinkIsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var probes atomic.Int32
		h := &SinkHealth{
			Probe: func(context.Context) error {
				if probes.Add(1) < 3 {
					return errors.New("table not found")
				}
				return nil
			},
			Retry:  Retry{Base: time.Second, Max: time.Second, Rand: func(n int64) int64 { return n - 1 }},
			Logger: slog.New(slog.DiscardHandler),
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go h.Watch(ctx)
		if h.Err() != nil {
			t.Fatal("unhealthy before any failure")
		}
		h.Failed(errors.New("storing: table not found"))
		h.Failed(errors.New("storing: table not found")) // A second failure starts no second prober.
		if h.Err() == nil {
			t.Fatal("healthy right after a failure")
		}
		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		if h.Err() == nil || probes.Load() != 2 {
			t.Errorf("after 2.5s: err %v after %d probes; want still failing after 2", h.Err(), probes.Load())
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if h.Err() != nil || probes.Load() != 3 {
			t.Errorf("after 3.5s: err %v after %d probes; want healthy after 3", h.Err(), probes.Load())
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if probes.Load() != 3 {
			t.Errorf("%d probes while healthy, want none after recovery", probes.Load()-3)
		}
	})
}

func TestNilSinkHealthIsAlwaysHealthy(t *testing.T) {
	var h *SinkHealth
	h.Failed(errors.New("ignored"))
	if h.Err() != nil {
		t.Error("a nil SinkHealth reported a failure")
	}
}
