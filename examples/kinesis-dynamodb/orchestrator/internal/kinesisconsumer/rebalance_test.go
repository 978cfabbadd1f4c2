package kinesisconsumer

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// lockedBuffer is a log sink that replicas' goroutines may write at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A replica joining takes leases from a live one to even out the shares: for the one that
// hands them over that is routine, logged at INFO and counted as rebalanced, not a lease lost.
func TestALeaseTakenToBalanceIsNoLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		for _, s := range []string{"s0", "s1", "s2", "s3"} {
			k.put(s, "", body(s+"-a"))
		}
		logs := &lockedBuffer{}
		cfg := Config{LeaseDuration: 3 * time.Second, MaxAttempts: 10, Owner: "a", Logger: slog.New(slog.NewTextHandler(logs, nil))}
		a, stopA := runAs(t, k, cps, h, cfg)
		settle(2 * time.Second)
		cfg.Owner, cfg.Logger = "b", nil
		_, stopB := runAs(t, k, cps, h, cfg)
		settle(10 * time.Second)
		if err := stopB(); err != nil {
			t.Fatal(err)
		}
		if err := stopA(); err != nil {
			t.Fatal(err)
		}
		if got := [2]int64{a.cfg.Metrics.LeasesRebalanced.Load(), a.cfg.Metrics.LeasesLost.Load()}; got != [2]int64{2, 0} {
			t.Errorf("a's leases rebalanced, lost = %v, want [2 0]", got)
		}
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
				t.Errorf("a logged %q while handing leases over, want INFO", line)
			}
		}
		if !strings.Contains(logs.String(), "lease handed over") {
			t.Errorf("a's logs lack the hand-over:\n%s", logs)
		}
	})
}
