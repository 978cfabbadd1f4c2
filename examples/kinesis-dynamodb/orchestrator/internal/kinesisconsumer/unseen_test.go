package kinesisconsumer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// landsUnseen is a lease table whose next checkpoint or renewal lands and then answers an
// error instead: a timeout (the call's deadline ran out just after DynamoDB applied it), or
// ErrLeaseLost, as DynamoDBLeases reports the SDK's own retry of a write whose first try
// landed on a dropped connection: the retry's condition fails on what the first wrote.
type landsUnseen struct {
	*memoryLeases
	mu                  sync.Mutex
	checkpoint, renewal error // the answer the next one that lands gives; nil for its own
}

// answer returns *e once, the error a write that landed gives instead of its own answer.
func (u *landsUnseen) answer(ctx context.Context, e *error) error {
	u.mu.Lock()
	err := *e
	*e = nil
	u.mu.Unlock()
	if errors.Is(err, context.DeadlineExceeded) {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (u *landsUnseen) Checkpoint(ctx context.Context, l Lease, owner, cp string) error {
	if err := u.memoryLeases.Checkpoint(ctx, l, owner, cp); err != nil {
		return err
	}
	return u.answer(ctx, &u.checkpoint)
}

func (u *landsUnseen) Renew(ctx context.Context, l Lease, owner string) (int64, error) {
	counter, err := u.memoryLeases.Renew(ctx, l, owner)
	if err != nil {
		return 0, err
	}
	return counter, u.answer(ctx, &u.renewal)
}

// A checkpoint or renewal that landed but whose answer was lost leaves the lease as our own
// write left it, which fails the condition of the next try. That is no takeover: the reader
// reads on without a break, and the lease is neither lost nor taken again.
func TestAWriteThatLandedUnseenDoesNotLoseTheLease(t *testing.T) {
	for _, tc := range []struct {
		name                string
		checkpoint, renewal error
	}{
		{"checkpoint timed out", context.DeadlineExceeded, nil},
		{"checkpoint re-sent by the SDK", ErrLeaseLost, nil},
		{"renewal re-sent by the SDK", nil, ErrLeaseLost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k, h := &fakeKinesis{}, &recorder{}
				leases := &landsUnseen{memoryLeases: &memoryLeases{}, checkpoint: tc.checkpoint, renewal: tc.renewal}
				k.put("s0", "", body("a"), body("b"))
				c, stop := runAs(t, k, leases, h, Config{Owner: "a", MaxAttempts: 10})
				settle(5 * time.Second)
				k.put("s0", "", body("c"))
				settle(3 * time.Second) // well within a lease duration, the time a lost lease takes to come back
				if err := stop(); err != nil {
					t.Fatal(err)
				}
				if got, cp := h.ids(), leases.get("s0").Checkpoint; !slices.Equal(got, []string{"a", "b", "c"}) || cp != "3" {
					t.Errorf("stored %v, checkpoint %s; want [a b c] read on without a break, checkpoint 3", got, cp)
				}
				if lost, taken := c.cfg.Metrics.LeasesLost.Load(), c.cfg.Metrics.LeasesTaken.Load(); lost != 0 || taken != 1 {
					t.Errorf("%d leases lost, %d taken; want none lost, the first take only", lost, taken)
				}
			})
		})
	}
}
