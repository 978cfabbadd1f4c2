package kinesisconsumer

// Leases share a stream's shards among orchestrator replicas, the way the KCL does, in a
// DynamoDB table of the KCL's shape (leaseKey, leaseOwner, leaseCounter, checkpoint,
// parentShardIds, ownerSwitchesSinceCheckpoint).
//
// It is our own code rather than a library's: harlow/kinesis-consumer's DynamoDB consumer group
// is marked experimental, and vmware-go-kcl-v2 has had no release since 2024, so adopting it
// would tie this module's aws-sdk-go-v2 upgrades to an unmaintained dependency. The protocol is
// small (conditional writes on a counter), and it is tested here and against an emulator with
// replicas killed, added and stopped mid-stream.

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Checkpoint sentinels, as the KCL writes them.
const (
	// TrimHorizon is a new lease's checkpoint that reads from the oldest record.
	TrimHorizon = "TRIM_HORIZON"
	// Latest, the setting KINESIS_INITIAL_POSITION=LATEST, starts a new lease at the service's
	// time when it is created (see latestFrom; start picks the leases that get it).
	Latest = "LATEST"
	// ShardEnd marks a shard closed by a split or merge and read to its end.
	ShardEnd = "SHARD_END"
)

// Lease is one shard's row of the lease table.
type Lease struct {
	// Key is the table's partition key; ShardID the shard it leases.
	Key     string
	ShardID string
	// Owner holds the lease, "" when nobody does. Counter goes up on every renewal, take and
	// release, so an owner that stops renewing shows as a counter that stands still.
	Owner   string
	Counter int64
	// Checkpoint is the sequence number of the last record handled, TrimHorizon, a
	// latestFrom time or ShardEnd.
	Checkpoint string
	Parents    []string
	// OwnerSwitches counts takes since the last checkpoint: a shard that keeps changing hands
	// without progress shows here.
	OwnerSwitches int64
}

// Finished reports whether the shard has been read to its end.
func (l Lease) Finished() bool { return l.Checkpoint == ShardEnd }

// ErrLeaseLost is returned by the conditional writes of a lease that someone else holds now (or
// whose checkpoint moved under us): the caller must stop reading its shard.
var ErrLeaseLost = errors.New("lease lost")

// Leases is the lease table of one stream. Every write is conditional on the holder's view of
// the lease, so two replicas can never both believe they hold it and write its checkpoint.
type Leases interface {
	// List returns the stream's leases, read consistently. It may make many calls (a page of
	// the table each, and deletions), so it bounds each itself; ctx only ends the whole.
	List(ctx context.Context) ([]Lease, error)
	// Get reads the lease under key consistently, to settle what a conditional write whose
	// answer was lost left there; ErrNoLease when it is gone.
	Get(ctx context.Context, key string) (Lease, error)
	// Create adds a lease for a new shard, unowned at checkpoint start (TrimHorizon or latestFrom);
	// an existing one is kept.
	Create(ctx context.Context, shardID string, parents []string, start string) error
	// Take makes owner the holder of l if l is still as listed (its counter unchanged), and
	// returns the lease as held.
	Take(ctx context.Context, l Lease, owner string) (Lease, error)
	// Renew bumps the counter of a lease owner holds, returning the new counter.
	Renew(ctx context.Context, l Lease, owner string) (int64, error)
	// Checkpoint moves the checkpoint of a held lease from l.Checkpoint to cp.
	Checkpoint(ctx context.Context, l Lease, owner, cp string) error
	// Release gives a held lease up, so that another replica may take it at once.
	Release(ctx context.Context, l Lease, owner string) error
	// Finish marks the lease of a shard that has aged out of the stream ShardEnd, if its
	// checkpoint is still l's: there is nothing left in it to read.
	Finish(ctx context.Context, l Lease) error
	// Delete removes a finished lease (see collect).
	Delete(ctx context.Context, l Lease) error
}

// ErrNoLease is returned by Get for a key the table does not hold.
var ErrNoLease = errors.New("no such lease")

// checkForward refuses a checkpoint that does not move forward. Sequence numbers are decimal
// strings of up to 129 digits, so they are compared as big integers, not as strings.
func checkForward(from, to string) error {
	if to == ShardEnd {
		if from == ShardEnd {
			return fmt.Errorf("checkpoint %s is already %s", from, ShardEnd)
		}
		return nil
	}
	t, ok := new(big.Int).SetString(to, 10)
	if !ok || t.Sign() < 0 {
		return fmt.Errorf("checkpoint %q is not a sequence number", to)
	}
	if from == "" || !started(from) {
		return nil
	}
	if from == ShardEnd {
		return fmt.Errorf("checkpoint %s would reopen a finished shard", to)
	}
	f, ok := new(big.Int).SetString(from, 10)
	if !ok {
		return fmt.Errorf("stored checkpoint %q is not a sequence number", from)
	}
	if t.Cmp(f) <= 0 {
		return fmt.Errorf("checkpoint %s does not move past %s", to, from)
	}
	return nil
}

// latestFrom is the checkpoint of a lease created at t under Latest: read from the records
// added at t or later. The time is kept, rather than the KCL's bare LATEST, so that a reader
// that fails or loses its lease before its first checkpoint hands on the same start, and the
// records it had read are read again rather than skipped.
func latestFrom(t time.Time) string {
	return Latest + "@" + strconv.FormatInt(t.UnixMilli(), 10)
}

// startTime is the time a latestFrom checkpoint reads from.
func startTime(cp string) (time.Time, bool) {
	ms, ok := strings.CutPrefix(cp, Latest+"@")
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	return time.UnixMilli(n), err == nil
}

// started reports whether a lease has a checkpoint of its own: a sequence number or ShardEnd.
func started(cp string) bool {
	_, latest := startTime(cp)
	return cp != TrimHorizon && !latest
}
