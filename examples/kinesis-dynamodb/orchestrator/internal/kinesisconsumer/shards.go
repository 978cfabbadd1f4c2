package kinesisconsumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// syncShards brings the lease table in line with the stream's shards, as the KCL's shard sync
// and lease cleanup do. A listed shard without a lease gets one, parents before children. A
// shard no longer listed has aged out of the stream's retention (ListShards lists every shard,
// closed ones too, while it holds records), so its lease is finished: nothing is left to read,
// and its children must not wait for it for ever. Finished leases are then collected.
//
// The leases are listed before the shards: a lease the listing holds was created from a
// listing older than this one, so a shard missing from this one can only have aged out, never
// be too new to be listed.
func (c *Consumer) syncShards(ctx context.Context, leases Leases) error {
	all, err := leases.List(ctx)
	if err != nil {
		return err
	}
	shards, now, err := c.listShards(ctx)
	if err != nil {
		return err
	}
	leased, listed := map[string]bool{}, map[string]bool{}
	starts := map[string]string{} // each leased shard's checkpoint, for its children's start
	for _, l := range all {
		leased[l.ShardID] = true
		starts[l.ShardID] = l.Checkpoint
	}
	descends := leasedDescendant(shards, leased)
	for _, s := range parentsFirst(shards) {
		id := aws.ToString(s.ShardId)
		listed[id] = true
		// A shard without a lease whose descendants have one was finished and collected:
		// creating its lease again would read it again from the start.
		if leased[id] || descends(id) {
			continue
		}
		start := c.start(s, starts, now)
		call, cancel := c.call(ctx)
		err := leases.Create(call, id, parents(s), start)
		cancel()
		leased[id] = true
		if err != nil {
			return fmt.Errorf("creating the lease of %s: %w", id, err)
		}
		if _, latest := startTime(start); latest {
			// Create keeps a lease another replica made first, from an older listing and so
			// perhaps at an earlier time: the children start from the time the table holds.
			call, cancel := c.call(ctx)
			l, err := leases.Get(call, id)
			cancel()
			if err != nil {
				return fmt.Errorf("reading back the lease of %s: %w", id, err)
			}
			start = l.Checkpoint
		}
		starts[id] = start
	}
	for _, l := range all {
		if !l.Finished() && !listed[l.ShardID] {
			c.agedOut(ctx, leases, l)
		}
	}
	c.collect(ctx, leases, all, listed)
	return nil
}

// start is the checkpoint a new lease of s starts at, now being the service's time (see
// listShards). A lineage is read from one start on, without a gap: a child whose leased parents
// all still hold a latestFrom time (none has a record read yet) starts at the earliest of them,
// and at TrimHorizon if a parent has been read from, as the KCL's children do: the parent is read
// to its end first, so nothing between the two is skipped, and the child's records all came
// after the consumer group met its parent. A shard without a leased parent is where the group
// first meets the stream (or a lineage whose leases were collected) and starts at
// InitialPosition: under Latest at now, a closed shard too, which then holds nothing to read but
// hands the time on to its children. Were a closed shard left unleased, a replica that listed the
// leases before another created its parent's (at a time before the split) would start the child
// at its own later time, and lose the child's records between the split and then.
//
// The one race left reads more, never less: a parent created at a time after it closed and read
// to its end before another replica creates the child's lease gives the child TrimHorizon.
func (c *Consumer) start(s types.Shard, starts map[string]string, now time.Time) string {
	var from time.Time
	inherited := false
	for _, p := range parents(s) {
		cp, ok := starts[p]
		if !ok {
			continue
		}
		at, latest := startTime(cp)
		if !latest {
			return TrimHorizon
		}
		if !inherited || at.Before(from) {
			from = at
		}
		inherited = true
	}
	switch {
	case inherited:
		return latestFrom(from)
	case c.cfg.InitialPosition == Latest:
		return latestFrom(now)
	}
	return TrimHorizon
}

// agedOut finishes the lease of a shard the stream no longer lists. Unless it was read to its
// end unrecorded, the records after its checkpoint were lost to retention: that is logged as an
// error and counted, as the KCL does, and reading goes on with its children.
func (c *Consumer) agedOut(ctx context.Context, leases Leases, l Lease) {
	call, cancel := c.call(ctx)
	err := leases.Finish(call, l)
	cancel()
	switch {
	case errors.Is(err, ErrLeaseLost):
		return // checkpointed since it was listed: the next sync looks again
	case err != nil:
		c.logFailure(ctx, c.cfg.Logger, err, false, "finishing the lease of a shard that aged out", "lease_key", l.Key, "shard_id", l.ShardID)
		return
	}
	c.cfg.Metrics.ShardsAgedOut.Add(1)
	c.cfg.Logger.Error("shard aged out of the stream's retention before it was read to its end; the records after its checkpoint are lost, and its children are read now",
		"lease_key", l.Key, "shard_id", l.ShardID, "checkpoint", l.Checkpoint, "lease_owner_was", l.Owner)
}

// collect deletes finished leases that are no longer needed, so that the table (which every
// replica scans every third of a lease duration) does not grow with every reshard: one that is
// no longer listed, as nothing can create it again; and one whose children all have leases and
// have started, as its children no longer wait for it, and syncShards creates no lease for a
// shard with a leased descendant (the open shards always are). A failed delete is tried again
// at the next sync.
func (c *Consumer) collect(ctx context.Context, leases Leases, all []Lease, listed map[string]bool) {
	children := map[string][]Lease{}
	for _, l := range all {
		for _, p := range l.Parents {
			children[p] = append(children[p], l)
		}
	}
	for _, l := range all {
		if !l.Finished() || listed[l.ShardID] && !allStarted(children[l.ShardID]) {
			continue
		}
		call, cancel := c.call(ctx)
		err := leases.Delete(call, l)
		cancel()
		if err != nil && !errors.Is(err, ErrLeaseLost) {
			c.logFailure(ctx, c.cfg.Logger, err, false, "deleting a finished lease", "lease_key", l.Key)
			continue
		}
		c.cfg.Logger.Info("finished lease deleted", "lease_key", l.Key, "shard_id", l.ShardID)
	}
}

// allStarted reports whether there are children and each has been taken or has checkpointed.
func allStarted(children []Lease) bool {
	for _, l := range children {
		if l.Owner == "" && !started(l.Checkpoint) {
			return false
		}
	}
	return len(children) > 0
}

func parents(s types.Shard) []string {
	var ps []string
	for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
		if aws.ToString(p) != "" {
			ps = append(ps, aws.ToString(p))
		}
	}
	return ps
}

// leasedDescendant returns whether a listed shard has a descendant, by the listing's parent
// links, that holds a lease.
func leasedDescendant(shards []types.Shard, leased map[string]bool) func(id string) bool {
	children := map[string][]string{}
	for _, s := range shards {
		for _, p := range parents(s) {
			children[p] = append(children[p], aws.ToString(s.ShardId))
		}
	}
	memo := map[string]bool{}
	var descends func(id string) bool
	descends = func(id string) bool {
		if v, ok := memo[id]; ok {
			return v
		}
		memo[id] = false // a cycle, which Kinesis never lists, ends here
		for _, c := range children[id] {
			if leased[c] || descends(c) {
				memo[id] = true
				break
			}
		}
		return memo[id]
	}
	return descends
}

// parentsFirst orders shards so that each comes after its listed parents: a replica that stops
// halfway through creating leases never leaves a child's lease without its parent's, which
// syncShards would take for a collected parent and never create.
func parentsFirst(shards []types.Shard) []types.Shard {
	byID := make(map[string]types.Shard, len(shards))
	for _, s := range shards {
		byID[aws.ToString(s.ShardId)] = s
	}
	out := make([]types.Shard, 0, len(shards))
	seen := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		s, ok := byID[id]
		if !ok || seen[id] {
			return
		}
		seen[id] = true
		for _, p := range parents(s) {
			visit(p)
		}
		out = append(out, s)
	}
	for _, s := range shards {
		visit(aws.ToString(s.ShardId))
	}
	return out
}

// serviceTime is the time a response's Date header gives, as the SDK records it; a variable so
// that the tests' fake stream can answer with a clock of its own.
var serviceTime = awsmiddleware.GetServerTime

// listShards returns the stream's shards and the service's time before the listing. A Latest
// start is that time, not this machine's: AT_TIMESTAMP compares it with the records' arrival
// times, which the service stamps, and a replica whose clock runs ahead would skip the records
// that arrive in between. The Date header is whole seconds, cut down, so the start is up to a
// second early: a record from that second may be read, as at-least-once delivery allows.
// Without the header (AWS always sends it), this machine's clock is used.
func (c *Consumer) listShards(ctx context.Context) ([]types.Shard, time.Time, error) {
	in := &kinesis.ListShardsInput{StreamName: aws.String(c.cfg.StreamName)}
	var shards []types.Shard
	var now time.Time
	for {
		call, cancel := c.call(ctx)
		out, err := c.client.ListShards(call, in)
		cancel()
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("listing the shards of %q: %w", c.cfg.StreamName, err)
		}
		if now.IsZero() {
			var ok bool
			if now, ok = serviceTime(out.ResultMetadata); !ok {
				now = time.Now()
			}
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			return shards, now, nil
		}
		// A call with a token must not name the stream again.
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
}
