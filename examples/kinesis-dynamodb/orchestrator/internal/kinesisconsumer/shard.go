package kinesisconsumer

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
	"example.com/kinesis-dynamodb/orchestrator/internal/results"
)

// minReadInterval keeps a reader within a shard's five GetRecords calls a second, which every
// consumer of the stream shares.
const minReadInterval = 200 * time.Millisecond

// readShard reads shard from just after cp until ctx is done or the shard is finished, which
// it reports. Each batch is handled and checkpointed with work, which outlives ctx so that a
// shutdown completes the batch in hand.
func (c *Consumer) readShard(ctx, work context.Context, shard string, cp Checkpoint) (finished bool) {
	log := c.cfg.Logger.With("shard_id", shard)
	pos := cp.SequenceNumber
	iter, ok := c.iterator(ctx, shard, pos)
	if !ok {
		return false
	}
	log.Info("reading shard", "after_sequence_number", pos)
	for failures := 0; ctx.Err() == nil; {
		out, err := c.client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String(iter), Limit: aws.Int32(c.cfg.RecordLimit)})
		var expired *types.ExpiredIteratorException
		switch {
		case errors.As(err, &expired):
			// Iterators last five minutes, which a long worker outage outlasts: start again after
			// the last checkpoint, which is exactly where handling stopped.
			log.Info("shard iterator expired; getting a new one", "after_sequence_number", pos)
			if iter, ok = c.iterator(ctx, shard, pos); !ok {
				return false
			}
			continue
		case err != nil:
			if ctx.Err() != nil {
				return false
			}
			// ProvisionedThroughputExceeded, most often: the shard's read limits are shared
			// with every consumer of the stream, and backing off is all there is to do.
			failures++
			log.Warn("reading records", "error", err, "consecutive_failures", failures)
			_ = c.cfg.Retry.Wait(ctx, failures)
			continue
		}
		failures = 0
		behind := aws.ToInt64(out.MillisBehindLatest)
		c.cfg.Metrics.SetShardLag(shard, behind)
		if n := len(out.Records); n > 0 {
			last := aws.ToString(out.Records[n-1].SequenceNumber)
			if !c.process(work, shard, out.Records) || !c.save(work, shard, Checkpoint{SequenceNumber: last}) {
				return false
			}
			pos = last
		}
		if out.NextShardIterator == nil {
			// Closed by a split or merge, and read to its end: its children may start now.
			if !c.save(work, shard, Checkpoint{SequenceNumber: pos, Finished: true}) {
				return false
			}
			c.cfg.Metrics.DropShard(shard)
			log.Info("shard finished", "last_sequence_number", pos)
			return true
		}
		iter = aws.ToString(out.NextShardIterator)
		wait := c.cfg.PollInterval
		if len(out.Records) > 0 && behind > 0 {
			wait = minReadInterval // Behind the tip: read on as fast as the shard allows.
		}
		_ = pipeline.Sleep(ctx, max(wait, minReadInterval))
	}
	return false
}

// iterator returns an iterator just after pos, or at the oldest record when pos is "".
func (c *Consumer) iterator(ctx context.Context, shard, pos string) (string, bool) {
	in := &kinesis.GetShardIteratorInput{
		StreamName:        aws.String(c.cfg.StreamName),
		ShardId:           aws.String(shard),
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
	}
	if pos != "" {
		in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		in.StartingSequenceNumber = aws.String(pos)
	}
	for attempt := 1; ; attempt++ {
		out, err := c.client.GetShardIterator(ctx, in)
		if err == nil {
			return aws.ToString(out.ShardIterator), true
		}
		if ctx.Err() != nil {
			return "", false
		}
		c.cfg.Logger.Warn("getting a shard iterator", "shard_id", shard, "error", err, "attempt", attempt)
		if c.cfg.Retry.Wait(ctx, attempt) != nil {
			return "", false
		}
	}
}

// process handles one batch of records, retrying until it succeeds or ctx is done. Poison
// records are counted and skipped. Other failures hold the shard up: skipping them would lose
// records and reading on past them would reorder them, so the shard waits, and its lag shows
// on /metrics.
func (c *Consumer) process(ctx context.Context, shard string, records []types.Record) bool {
	var (
		reqs []*scoringv1.ScoreRequest
		from []int // reqs[i] came from records[from[i]]
	)
	for i, r := range records {
		req, err := pipeline.Decode(r.Data)
		if err != nil {
			c.poison(shard, r, err)
			continue
		}
		reqs = append(reqs, req)
		from = append(from, i)
	}
	if len(reqs) == 0 {
		return true
	}
	for attempt := 1; ; attempt++ {
		rejected, err := c.handler.Handle(ctx, reqs)
		if err == nil {
			for i, reason := range rejected {
				c.poison(shard, records[from[i]], reason)
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		c.cfg.Logger.Error("handling records; the shard waits and retries", "shard_id", shard, "records", len(reqs), "error", err, "attempt", attempt)
		if c.cfg.Retry.Wait(ctx, attempt) != nil {
			return false
		}
		for !c.cfg.Ready() {
			if pipeline.Sleep(ctx, time.Second) != nil {
				return false
			}
		}
	}
}

// poison skips a record that cannot be handled. A conflict (a different request under a
// stored id) is no loss: the sink recorded it on the stored result before reporting it.
func (c *Consumer) poison(shard string, r types.Record, reason error) {
	log := c.cfg.Logger.With("shard_id", shard, "sequence_number", aws.ToString(r.SequenceNumber), "partition_key", aws.ToString(r.PartitionKey), "reason", reason.Error())
	var conflict *results.Conflict
	if errors.As(reason, &conflict) {
		log.Warn("conflicting record recorded on the stored result and skipped")
		return
	}
	c.cfg.Metrics.DeadLettered.Add(1)
	log.Warn("poison record skipped")
}

// save writes a checkpoint, retrying until it succeeds or ctx is done.
func (c *Consumer) save(ctx context.Context, shard string, cp Checkpoint) bool {
	for attempt := 1; ; attempt++ {
		err := c.checkpoints.Put(ctx, shard, cp)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		c.cfg.Logger.Warn("writing a checkpoint", "shard_id", shard, "error", err, "attempt", attempt)
		if c.cfg.Retry.Wait(ctx, attempt) != nil {
			return false
		}
	}
}
