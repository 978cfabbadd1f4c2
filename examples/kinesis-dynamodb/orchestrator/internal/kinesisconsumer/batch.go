package kinesisconsumer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
)

// process handles one batch of records. Records that cannot be parsed or are invalid go to the
// dead letters, and so do those the worker fails on their own (see handle). Other failures
// hold the shard up: skipping them would lose records and reading on past them would reorder
// them, so the shard waits, and its lag shows on /metrics. It returns nil once every record is
// stored or dead-lettered (or refused by the dead-letter table for good, see poison), and only
// then may the batch be checkpointed.
func (c *Consumer) process(ctx context.Context, shard string, records []types.Record) (err error) {
	ctx, batch := c.startBatch(ctx, shard, records)
	defer func() { batch.end(err) }()
	var (
		reqs []*scoringv1.ScoreRequest
		from []types.Record // reqs[i] came from from[i]
	)
	for _, r := range records {
		req, err := pipeline.Decode(r.Data)
		if err != nil {
			if err := c.poison(ctx, shard, r, err); err != nil {
				return err
			}
			continue
		}
		reqs = append(reqs, req)
		from = append(from, r)
	}
	if len(reqs) == 0 {
		return nil
	}
	return c.handle(ctx, shard, reqs, from)
}

// await holds the shard up while Ready is false (the worker's gRPC health is NOT_SERVING, or
// the sink failed and has not passed a probe since), rather than spending retries and leases
// on calls bound to fail. The lease is renewed meanwhile, so no replica churns it.
func (c *Consumer) await(ctx context.Context, shard string) error {
	for paused := false; !c.cfg.Ready(); paused = true {
		if !paused {
			c.cfg.Logger.WarnContext(ctx, "the worker or the results sink is down; the shard pauses", "shard_id", shard)
		}
		if err := pipeline.Sleep(ctx, time.Second); err != nil {
			return err
		}
	}
	return nil
}

// poison dead-letters a record that cannot be handled, with its payload. A conflict (a
// different request under a stored id) is no loss: the sink recorded it on the stored result
// before reporting it.
func (c *Consumer) poison(ctx context.Context, shard string, r types.Record, reason error) error {
	log := c.cfg.Logger.With("shard_id", shard, "sequence_number", aws.ToString(r.SequenceNumber), "partition_key", aws.ToString(r.PartitionKey), "reason", reason.Error())
	if errors.Is(reason, pipeline.ErrConflict) {
		log.WarnContext(ctx, "conflicting record recorded on the stored result and skipped")
		return nil
	}
	for attempt := 1; ; attempt++ {
		call, cancel := c.call(ctx)
		err := c.deadLetters.Put(call, shard, r, reason)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !pipeline.Transient(err) {
			// Refused for good (the item is malformed, the table missing or not ours to write):
			// retrying cannot help, and holding the shard up would stop every record behind this
			// one for ever. So it is skipped, logged with where to read it again while the stream
			// retains it, and counted apart from the records kept.
			sum := sha256.Sum256(r.Data)
			log.ErrorContext(ctx, "dead-lettering a record failed for good; the record is skipped", "error", err, "payload_bytes", len(r.Data), "payload_sha256", hex.EncodeToString(sum[:]))
			c.cfg.Metrics.DeadLetterFailures.Add(1)
			return nil
		}
		log.WarnContext(ctx, "dead-lettering a record", "error", err, "attempt", attempt)
		if attempt >= c.cfg.MaxAttempts {
			return errGaveUp
		}
		if err := c.cfg.Retry.Wait(ctx, attempt); err != nil {
			return err
		}
	}
	c.cfg.Metrics.DeadLettered.Add(1)
	log.WarnContext(ctx, "poison record dead-lettered")
	return nil
}
