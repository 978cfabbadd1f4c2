package workerclient

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A coalesced call whose every member has left (clients gone, deadlines passed) is
// cancelled, so the worker stops spending CPU on answers nobody reads: under overload,
// clients give up and retry, and the abandoned batches would otherwise pile onto the retries.
func TestABatchEveryMemberLeftIsCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedWorker(t)
		c := NewCoalescer(g, CoalesceOptions{MaxBatch: 2, CallTimeout: time.Minute, Name: "t"})
		ctx, cancel := context.WithCancel(context.Background())
		first := score(ctx, c, "first")
		g.expectStart(t, "Score")
		members := []<-chan answered{score(ctx, c, "m1"), score(ctx, c, "m2")}
		g.expectStart(t, "ScoreBatch")
		cancel()
		for _, ch := range append(members, first) {
			if a := recv(t, ch); status.Code(a.err) != codes.Canceled {
				t.Errorf("a caller that left got %+v, want CANCELED", a)
			}
		}
		closed := make(chan struct{})
		go func() { c.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("the batch call went on after every member left")
		}
	})
}
