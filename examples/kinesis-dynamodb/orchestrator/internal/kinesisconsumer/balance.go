package kinesisconsumer

import (
	"cmp"
	"slices"
	"time"
)

// observed is when a lease's counter was last seen to change, on this replica's clock: an owner
// whose counter stands still for a lease duration is taken for dead. Clocks are never compared
// across replicas.
type observed struct {
	counter int64
	owner   string
	since   time.Time
}

// expiry tracks the lease counters seen at each listing.
type expiry struct {
	duration time.Duration
	seen     map[string]observed
}

// update records a listing and returns, per lease key, whether its owner has expired.
func (e *expiry) update(leases []Lease, now time.Time) map[string]bool {
	if e.seen == nil {
		e.seen = map[string]observed{}
	}
	expired := make(map[string]bool, len(leases))
	next := make(map[string]observed, len(leases))
	for _, l := range leases {
		o, ok := e.seen[l.Key]
		if !ok || o.counter != l.Counter || o.owner != l.Owner {
			o = observed{counter: l.Counter, owner: l.Owner, since: now}
		}
		next[l.Key] = o
		expired[l.Key] = l.Owner != "" && now.Sub(o.since) > e.duration
	}
	e.seen = next
	return expired
}

// plan picks the leases me should take, given the table, which owners have expired and which
// leases to leave alone (skip: those held, whose readers run, and those cooling off):
// available leases (unowned, expired, or ours but not held) whose parents are finished, up to
// ceil(unfinished shards / live owners) held in all; if none is available and another owner
// holds more than its share, one lease of the most loaded owner (stealing one at a time keeps
// replicas from trading leases back and forth).
func plan(leases []Lease, me string, expired map[string]bool, skip map[string]bool) []Lease {
	finished := map[string]bool{}
	present := map[string]bool{}
	for _, l := range leases {
		present[l.ShardID] = true
		finished[l.ShardID] = l.Finished()
	}
	ready := func(l Lease) bool {
		for _, p := range l.Parents {
			// A parent gone from the table has aged out of the stream: nothing left to read.
			if present[p] && !finished[p] {
				return false
			}
		}
		return true
	}
	load := map[string][]Lease{me: nil}
	var available []Lease
	unfinished := 0
	for _, l := range leases {
		if l.Finished() {
			continue
		}
		unfinished++
		switch {
		case l.Owner == me && skip[l.Key]:
			load[me] = append(load[me], l)
		case l.Owner == me || l.Owner == "" || expired[l.Key]:
			// Ours but not held: its reader stopped when it could no longer prove the lease
			// (proof.go), and nobody has taken it since, so it is taken again like a free one.
			if ready(l) && !skip[l.Key] {
				available = append(available, l)
			}
		default:
			load[l.Owner] = append(load[l.Owner], l)
		}
	}
	target := (unfinished + len(load) - 1) / len(load)
	need := target - len(load[me])
	if need <= 0 {
		return nil
	}
	if len(available) > 0 {
		slices.SortFunc(available, func(a, b Lease) int { return cmp.Compare(a.Key, b.Key) })
		return available[:min(need, len(available))]
	}
	var busiest string
	for owner, held := range load {
		if owner != me && (busiest == "" || len(held) > len(load[busiest]) || len(held) == len(load[busiest]) && owner < busiest) {
			busiest = owner
		}
	}
	// Steal only from an owner above its share, or two above us: otherwise the two would
	// just swap a lease on every round.
	if busiest == "" || len(load[busiest]) <= target && len(load[busiest])-len(load[me]) < 2 {
		return nil
	}
	victims := slices.Clone(load[busiest])
	slices.SortFunc(victims, func(a, b Lease) int { return cmp.Compare(a.Key, b.Key) })
	for _, v := range victims {
		if !skip[v.Key] {
			return []Lease{v}
		}
	}
	return nil
}
