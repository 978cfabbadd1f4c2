package kinesisconsumer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// timedKinesis notes when each GetRecords call starts.
type timedKinesis struct {
	*fakeKinesis
	mu    sync.Mutex
	reads []time.Time
}

func (k *timedKinesis) GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	k.mu.Lock()
	k.reads = append(k.reads, time.Now())
	k.mu.Unlock()
	return k.fakeKinesis.GetRecords(ctx, in, opts...)
}

// readsIn counts the reads that started in [from, to).
func (k *timedKinesis) readsIn(from, to time.Time) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, r := range k.reads {
		if !r.Before(from) && r.Before(to) {
			n++
		}
	}
	return n
}

// unreachableLeases is a lease table that can become unreachable: while down, renewals and
// takes fail. It notes when each successful take or renewal started.
type unreachableLeases struct {
	*memoryLeases
	mu     sync.Mutex
	down   bool
	late   int // renewals still to land without an answer
	proven []time.Time
}

// landLate reports, once per call of lateOnce, that a renewal lands without an answer.
func (u *unreachableLeases) landLate() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	late := u.late > 0
	if late {
		u.late--
	}
	return late
}

func (u *unreachableLeases) lateOnce() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.late++
}

func (u *unreachableLeases) setDown(v bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.down = v
}

func (u *unreachableLeases) isDown() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.down
}

func (u *unreachableLeases) note(start time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.proven = append(u.proven, start)
}

func (u *unreachableLeases) Take(ctx context.Context, l Lease, owner string) (Lease, error) {
	start := time.Now()
	if u.isDown() {
		return Lease{}, errors.New("lease table unreachable")
	}
	taken, err := u.memoryLeases.Take(ctx, l, owner)
	if err == nil {
		u.note(start)
	}
	return taken, err
}

func (u *unreachableLeases) Renew(ctx context.Context, l Lease, owner string) (int64, error) {
	start := time.Now()
	if u.landLate() {
		// Written, but the answer is lost: the caller's counter is one behind now.
		if _, err := u.memoryLeases.Renew(ctx, l, owner); err != nil {
			return 0, err
		}
		return 0, context.DeadlineExceeded
	}
	if u.isDown() {
		// At once, not after the timeout: under synctest a checkpoint waiting on the held lease's
		// mutex meanwhile would keep the fake clock from moving.
		return 0, errors.New("lease table unreachable")
	}
	counter, err := u.memoryLeases.Renew(ctx, l, owner)
	if err == nil {
		u.note(start)
	}
	return counter, err
}

// lastProof is the start of the last successful take or renewal before t.
func (u *unreachableLeases) lastProof(t time.Time) time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	var last time.Time
	for _, p := range u.proven {
		if !p.After(t) {
			last = p
		}
	}
	return last
}

const testLease = 3 * time.Second

func TestReadsOnlyWhileATakeOrRenewalProvesTheLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &timedKinesis{fakeKinesis: &fakeKinesis{}}
		k.put("s0", "", body("a"))
		leases := &unreachableLeases{memoryLeases: &memoryLeases{}}
		_, stop := runAs(t, k, leases, &recorder{}, Config{Owner: "a", LeaseDuration: testLease, MaxAttempts: 10})
		settle(5 * time.Second)
		down := time.Now()
		leases.setDown(true)
		settle(10 * time.Second)
		up := time.Now()
		leases.setDown(false)
		settle(5 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}

		if k.readsIn(down.Add(-2*time.Second), down) == 0 || k.readsIn(up, time.Now()) == 0 {
			t.Fatalf("reads %v: want some before the table went down at %v and after it came back at %v", k.reads, down, up)
		}
		// Every read starts within a lease duration, less the margin, of the start of the take or
		// renewal before it; so none once the proof of the last one before the outage ran out.
		for _, r := range k.reads {
			if p := leases.lastProof(r); p.IsZero() || r.Sub(p) >= testLease-proofMargin(testLease) {
				t.Errorf("read at %v, %v after the last take or renewal (at %v), want less than %v", r, r.Sub(p), p, testLease-proofMargin(testLease))
			}
		}
		if n := k.readsIn(down.Add(testLease), up); n != 0 {
			t.Errorf("%d reads more than a lease duration into the outage, want none", n)
		}
	})
}

func TestAnOldOwnerStopsReadingWithinALeaseOfASteal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &timedKinesis{fakeKinesis: &fakeKinesis{}}
		k.put("s0", "", body("a"))
		leases := &unreachableLeases{memoryLeases: &memoryLeases{}}
		_, stop := runAs(t, k, leases, &recorder{}, Config{Owner: "a", LeaseDuration: testLease, MaxAttempts: 10})
		settle(5 * time.Second)
		// b takes the lease while a's renewals fail: a never hears of the loss from a renewal.
		stolen := time.Now()
		leases.setDown(true)
		if _, err := leases.memoryLeases.Take(context.Background(), leases.get("s0"), "b"); err != nil {
			t.Fatal(err)
		}
		settle(10 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if k.readsIn(stolen.Add(-2*time.Second), stolen) == 0 {
			t.Fatalf("reads %v: want some before the steal at %v", k.reads, stolen)
		}
		if n := k.readsIn(stolen.Add(testLease), time.Now()); n != 0 {
			t.Errorf("%d reads by the old owner more than a lease duration after the steal, want none", n)
		}
		if l := leases.get("s0"); l.Owner != "b" {
			t.Errorf("lease %+v, want b's still", l)
		}
	})
}

func TestKeepsALeaseWhoseRenewalLandedWithoutAnAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &timedKinesis{fakeKinesis: &fakeKinesis{}}
		k.put("s0", "", body("a"))
		leases := &unreachableLeases{memoryLeases: &memoryLeases{}}
		c, stop := runAs(t, k, leases, &recorder{}, Config{Owner: "a", LeaseDuration: testLease, MaxAttempts: 10})
		settle(5 * time.Second)
		leases.lateOnce()
		settle(5 * time.Second)
		late := time.Now()
		k.put("s0", "", body("b"))
		settle(5 * time.Second)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if n := c.cfg.Metrics.LeasesLost.Load(); n != 0 {
			t.Errorf("%d leases lost, want none: the renewal that moved the counter was our own", n)
		}
		if n := c.cfg.Metrics.LeasesTaken.Load(); n != 1 {
			t.Errorf("%d leases taken, want the first take only", n)
		}
		if k.readsIn(late, time.Now()) == 0 || leases.get("s0").Checkpoint != "2" {
			t.Errorf("lease %+v, reads %v: want b read and checkpointed after the late renewal", leases.get("s0"), k.reads)
		}
	})
}

// A batch whose handling outlasts the proof (the lease table too slow to answer renewals) is
// checkpointed all the same while the lease is still ours, and not once another replica took it.
func TestCheckpointsABatchHandledPastItsProofOnlyWhileTheLeaseIsOurs(t *testing.T) {
	for _, stolen := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			k := &fakeKinesis{}
			k.put("s0", "", body("a"))
			leases := &unreachableLeases{memoryLeases: &memoryLeases{}}
			h := &recorder{delay: 2 * testLease}
			_, stop := runAs(t, k, leases, h, Config{Owner: "a", LeaseDuration: testLease, MaxAttempts: 10})
			time.Sleep(testLease / 10) // taken and read; the batch is in hand
			leases.setDown(true)
			if stolen {
				if _, err := leases.memoryLeases.Take(context.Background(), leases.get("s0"), "b"); err != nil {
					t.Fatal(err)
				}
			}
			settle(3 * testLease)
			got := leases.get("s0")
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			want := Lease{Owner: "a", Checkpoint: "1"}
			if stolen {
				want = Lease{Owner: "b", Checkpoint: TrimHorizon}
			}
			if !slices.Equal(h.ids(), []string{"a"}) || got.Owner != want.Owner || got.Checkpoint != want.Checkpoint {
				t.Errorf("stolen=%v: stored %v, lease %+v; want a stored, owner %q, checkpoint %q", stolen, h.ids(), got, want.Owner, want.Checkpoint)
			}
		})
	}
}
