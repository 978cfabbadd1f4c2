package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// PoisonAttempts is how many times a record the worker crashes on (Crashed) is tried on its
// own before it is a suspect: a crash may be a passing fault (a replica killed mid-call), which
// a refusal never is, so it gets a few tries more, while a panic on the record's content keeps
// its shard or receive slot only that long.
const PoisonAttempts = 3

// BrokenAfter is how many rounds in a row (see Isolation) may end with records the worker
// refused alone, and no record scored anywhere in between, before the worker counts as broken.
const BrokenAfter = 3

// ConfirmAttempts is how many rounds in a row a record must still fail alone, once something
// vouched that the worker works (see Isolation), before it is dead-lettered. More than one,
// because what vouched may have been scored by another replica than the one that failed the
// record: round_robin sends a caller's consecutive calls to consecutive replicas, so with no
// other traffic a record tried once after the canary would meet the replica that refused it
// again whenever there are two, while two tries in a row reach two different ones.
const ConfirmAttempts = 2

// errItem marks a chunk failed for one item's error, which the worker reported as the item's
// own, where the call itself was answered.
var errItem = errors.New("item")

// Crashed reports whether err is the worker failing a call with INTERNAL or UNKNOWN, as a
// panic in its handler does. Like a refusal, the record at fault would fail every delivery
// and take its batch with it, so a consumer narrows such a call down the same way; unlike one,
// it may pass, hence PoisonAttempts. Only a status the call returned counts: an error of ours
// that merely has no gRPC code (a failure to store, a context's) is no crash.
func Crashed(err error) bool {
	if err == nil || errors.Is(err, ErrStore) {
		return false
	}
	s, ok := status.FromError(err)
	return ok && (s.Code() == codes.Internal || s.Code() == codes.Unknown)
}

// Suspect reports whether err may be the fault of a record the call carried (Refused or
// Crashed): the call is worth narrowing down to the records that fail alone.
func Suspect(err error) bool {
	return Refused(err) || Crashed(err)
}

// Broken reports whether err is the worker answering a whole call UNIMPLEMENTED: the method is
// missing (a wrong or broken release), which no record causes, so nothing is narrowed down or
// dead-lettered for it. An item's UNIMPLEMENTED within an answered batch is the item's own.
func Broken(err error) bool {
	return err != nil && !errors.Is(err, ErrStore) && !errors.Is(err, errItem) && status.Code(err) == codes.Unimplemented
}

// Isolation tells "this record breaks the worker" from "the worker is broken", for one
// consumer (all its loops or shards share it). A record is dead-lettered for the worker's
// verdict only when something vouches that the worker works: it scored some other record
// while the record was being tried, a neighbour in the batch or a record elsewhere, or, with
// no such traffic, a canary (Canary, a known-valid request of its own); and the record then
// fails alone ConfirmAttempts rounds more (so a worker fixed mid-round does not cost the
// records it failed before the fix, nor a sound replica those a broken one failed). So a
// consumer narrows a failed call down to the records that fail alone (a round, see Mark), and
// if nothing vouches holds them instead, unacknowledged (SQS: hidden; Kinesis: not
// checkpointed), and tries them again after a backoff. A worker that
// refuses everything refuses the canary too, so nothing is dead-lettered however long it
// lasts, and after BrokenAfter such rounds in a row (or at once, for a call answered
// UNIMPLEMENTED) Err reports it for readiness, until the worker scores a record again.
// The zero value is ready to use, without a canary: a lone poison record then waits for
// other traffic to vouch for the worker.
//
// The canary asks the worker behind the client, not the replica that failed the record:
// round_robin may send it to another one. A replica that is broken, yet healthy to its health
// check, could thus have a record it refused taken for poison when the canary reaches a sound
// one. Two things narrow that: the record must fail alone ConfirmAttempts rounds in a row
// after the vouch, so its tries reach other replicas, and a replica that cannot score should
// say NOT_SERVING, which takes it out of the balancer. What remains is a record whose every
// try meets such a replica (with two or more of them broken, or other traffic moving the
// balancer on between tries); the README's delivery section says so.
type Isolation struct {
	// Canary, when set, scores a fixed, known-valid request (Processor.Canary) and returns
	// why the worker failed it, nil when it scored. It is asked at most once a round: not when another
	// round's canary went out since this one began.
	Canary func(context.Context) error

	mu       sync.Mutex
	scored   uint64 // records scored so far, canaries included
	canaries uint64 // canaries sent so far
	strikes  int    // rounds held in a row, with nothing scored since
	broken   error  // why the worker counts as broken; nil while it does not
}

// Round is where a round began, for Isolated and ScoredSince.
type Round struct {
	scored, canaries uint64
}

// Scored notes n records the worker scored: it answers normally, so it is not broken.
func (iso *Isolation) Scored(n int) {
	if n <= 0 {
		return
	}
	iso.mu.Lock()
	defer iso.mu.Unlock()
	iso.scored += uint64(n)
	iso.strikes, iso.broken = 0, nil
}

// Mark starts a round: Isolated compares against it.
func (iso *Isolation) Mark() Round {
	iso.mu.Lock()
	defer iso.mu.Unlock()
	return Round{scored: iso.scored, canaries: iso.canaries}
}

// ScoredSince reports whether the worker scored anything since r began.
func (iso *Isolation) ScoredSince(r Round) bool {
	iso.mu.Lock()
	defer iso.mu.Unlock()
	return iso.scored > r.scored
}

// Isolated ends a round that left n records failing alone, the last with reason: it reports
// whether they are poison, the worker having scored another record since mark, or, with
// nothing else scored, the canary. If not, the round counts towards BrokenAfter and the
// caller holds the records for another round. The canary, if sent, has a trace of its own
// (startCanary), linked to round: the spans the n records are handled in.
func (iso *Isolation) Isolated(ctx context.Context, mark Round, n int, reason error, round ...trace.Link) bool {
	iso.mu.Lock()
	vouched := iso.scored > mark.scored
	// One canary a round at most, whichever loop or shard asks: one sent since mark that
	// did not score speaks for this round too.
	ask := !vouched && iso.Canary != nil && iso.canaries == mark.canaries
	if ask {
		iso.canaries++
	}
	iso.mu.Unlock()
	if vouched {
		return true
	}
	var span trace.Span
	var failed error
	if ask {
		var canaryCtx context.Context
		canaryCtx, span = startCanary(ctx, n, round)
		if failed = iso.Canary(canaryCtx); failed == nil {
			iso.Scored(1) // vouches for every other round held meanwhile, too
			endCanary(span, nil, true, 0, false)
			return true
		}
	}
	iso.mu.Lock()
	isolated := iso.scored > mark.scored // scored elsewhere while the canary was out
	if !isolated {
		if iso.strikes++; iso.strikes >= BrokenAfter && iso.broken == nil {
			iso.broken = fmt.Errorf("the worker scored no record, canary included, while it failed %d tried alone, %d rounds in a row (last: %w); they are held, not dead-lettered, until it scores again", n, iso.strikes, reason)
		}
	}
	strikes, broken := iso.strikes, iso.broken != nil
	iso.mu.Unlock()
	if span != nil {
		endCanary(span, failed, isolated, strikes, broken)
	}
	return isolated
}

// Broke marks the worker broken at once, for reason (see Broken).
func (iso *Isolation) Broke(reason error) {
	iso.mu.Lock()
	defer iso.mu.Unlock()
	iso.broken = fmt.Errorf("the worker answered a whole call UNIMPLEMENTED (%w); records are held, not dead-lettered, until it scores again", reason)
}

// Err returns, for readiness, why the worker counts as broken, or nil.
func (iso *Isolation) Err() error {
	iso.mu.Lock()
	defer iso.mu.Unlock()
	return iso.broken
}
