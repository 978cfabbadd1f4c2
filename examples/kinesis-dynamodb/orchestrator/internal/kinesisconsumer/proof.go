package kinesisconsumer

import (
	"sync"
	"time"
)

// A replica reads a shard only while it can prove it holds the shard's lease: until a lease
// duration, less a margin, after the start of its last successful take or renewal, on its own
// monotonic clock. Another replica takes an expired lease only once it has seen the counter
// stand still for a whole lease duration on its clock, which began after that write landed, so
// the two never read at once; a lease taken over from a live owner (a steal, or a renewal that
// was slow to land) stops the old owner within one lease duration of its last renewal at the
// latest, however late its renewals run, rather than whenever a renewal next reports the loss.

// proofMargin is the part of a lease duration kept off the end of the proven period: room for
// the replicas' clocks to run at slightly different rates and for the call a check lets through.
func proofMargin(lease time.Duration) time.Duration { return lease / 10 }

// CallTimeout bounds every AWS call the consumer makes (a renewal, take, release, listing,
// checkpoint, dead letter, stream read) and, through the orchestrator's HTTP client, every
// attempt of the results sink's calls: the one figure, derived from the lease duration. It is
// shorter than the renewal interval (a third of a lease), so a call that does not answer counts
// as failed before the next round, and a hung one costs its shard a few of them, never the
// others' leases or the shutdown.
func CallTimeout(lease time.Duration) time.Duration { return lease / 4 }

// renewInterval is how often the leases held are renewed: three times a lease duration, so
// that one renewal lost or late leaves two more to prove the lease before it runs out.
func renewInterval(lease time.Duration) time.Duration { return lease / 3 }

// proof is how long a held lease is proven to be ours. Its own lock, not held's, keeps a check
// from waiting on a renewal or checkpoint in flight.
type proof struct {
	mu    sync.Mutex
	until time.Time // with a monotonic reading: time.Now() values only
}

// extend records a successful take or renewal that started at start: the lease is ours until
// start plus d. A late answer never shortens what a later one proved.
func (p *proof) extend(start time.Time, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if end := start.Add(d); end.After(p.until) {
		p.until = end
	}
}

// deadline is when the proof runs out.
func (p *proof) deadline() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.until
}

// holds reports whether the lease is still proven ours now.
func (p *proof) holds() bool { return time.Now().Before(p.deadline()) }
