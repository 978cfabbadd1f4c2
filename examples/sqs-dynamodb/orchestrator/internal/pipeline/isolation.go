package pipeline

import (
	"errors"
	"fmt"
	"sync"

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
// while the record was being tried, a neighbour in the batch or a record elsewhere, and the
// record then fails alone once more (so a worker fixed mid-round does not cost the records it
// failed before the fix). So a consumer narrows a failed call down to the records that fail
// alone (a round, see Mark), and if nothing was scored meanwhile holds them instead, unacknowledged (SQS: hidden; Kinesis:
// not checkpointed), and tries them again after a backoff. A healthy worker soon scores
// something and the held records go then; a worker that refuses everything never does, so
// nothing is dead-lettered however long it lasts, and after BrokenAfter such rounds in a row
// (or at once, for a call answered UNIMPLEMENTED) Err reports it for readiness, until the
// worker scores a record again. A lone poison record with no traffic around it waits for some.
// The zero value is ready to use.
type Isolation struct {
	mu      sync.Mutex
	scored  uint64 // records scored so far
	strikes int    // rounds held in a row, with nothing scored since
	broken  error  // why the worker counts as broken; nil while it does not
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
func (iso *Isolation) Mark() uint64 {
	iso.mu.Lock()
	defer iso.mu.Unlock()
	return iso.scored
}

// Isolated ends a round that left n records failing alone, the last with reason: it reports
// whether they are poison, the worker having scored another record since mark. If not, the
// round counts towards BrokenAfter and the caller holds the records for another round.
func (iso *Isolation) Isolated(mark uint64, n int, reason error) bool {
	iso.mu.Lock()
	defer iso.mu.Unlock()
	if iso.scored > mark {
		return true
	}
	if iso.strikes++; iso.strikes >= BrokenAfter && iso.broken == nil {
		iso.broken = fmt.Errorf("the worker scored no record while it failed %d tried alone, %d rounds in a row (last: %w); they are held, not dead-lettered, until it scores again", n, iso.strikes, reason)
	}
	return false
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
