package pipeline

import (
	"fmt"
	"sync"
	"time"
)

// Both queue consumers report a dependency on readiness by one rule: a replica is unready once
// the calls it needs to make progress keep failing, and ready again as soon as one succeeds.
// "Keep failing" means failed again, with no success between, longer than a period after the
// run's first failure: a single failure (one 500, a network blip) never takes a replica out,
// even when nothing calls the dependency again for a while (an idle queue with a delete that
// failed once), since the silence after it proves nothing. Taking every replica out together
// on a shared hiccup would stop all consuming for nothing; a dependency that is really down is
// retried, fails again and shows within the period and a retry. Each consumer derives its
// period from its own figures (the Kinesis lease's renewal interval, the SQS receive's bound).
//
// A failure whose harm is already done is no blip, though: a message whose visibility ran out
// before it could be extended is free for another consumer to receive, whether one call or
// many failed on the way. Lost records it as a run by itself, so a lone message in hand counts
// as much as many; the period and the success that ends a run apply as to any other.

// Dependency names one kind of call failures are told apart by: What it does, and Of what ("" if
// it concerns the whole consumer), such as a lease's renewals or a shard's reads.
type Dependency struct{ What, Of string }

func (d Dependency) String() string {
	if d.Of == "" {
		return d.What
	}
	return d.What + " " + d.Of
}

// Stalls holds, per dependency, its current run of failures. The zero value is ready to use.
// One lock rather than a sync.Map, so that a run's start survives its next failure.
type Stalls struct {
	mu  sync.Mutex
	run map[Dependency]stallRun
}

type stallRun struct {
	since    time.Time // the run's first failure
	failures int
	lost     bool  // a failure of the run cost what the call was to keep (Lost)
	err      error // the latest failure
}

// Note records how a call to d ended: an error starts d's run of failures or extends it, nil
// ends it.
func (s *Stalls) Note(d Dependency, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.run, d)
		return
	}
	s.fail(d, err, false)
}

// Lost records a failure of d whose harm is done (see above): err starts or extends d's run,
// which counts without a second failure.
func (s *Stalls) Lost(d Dependency, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail(d, err, true)
}

// Failing reports whether d has a run of failures now, one success not yet ending it.
func (s *Stalls) Failing(d Dependency) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.run[d]
	return ok
}

// fail adds err to d's run; s.mu is held.
func (s *Stalls) fail(d Dependency, err error, lost bool) {
	if s.run == nil {
		s.run = map[Dependency]stallRun{}
	}
	r, ok := s.run[d]
	if !ok {
		r.since = time.Now()
	}
	r.failures++
	r.lost = r.lost || lost
	r.err = err
	s.run[d] = r
}

// Longest returns why the dependency failing longest stalls the consumer, if its run has gone on
// for longer than after and failed again since it began (see above), or nil.
func (s *Stalls) Longest(after time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var worst Dependency
	var run stallRun
	for d, r := range s.run {
		if r.failures < 2 && !r.lost {
			continue // a single failure, not (yet) a run
		}
		if run.err == nil || r.since.Before(run.since) {
			worst, run = d, r
		}
	}
	if run.err == nil || time.Since(run.since) <= after {
		return nil
	}
	return fmt.Errorf("%s failing for %v: %w", worst, time.Since(run.since).Round(time.Millisecond), run.err)
}
