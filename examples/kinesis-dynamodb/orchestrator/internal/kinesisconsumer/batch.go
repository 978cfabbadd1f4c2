package kinesisconsumer

import (
	"bytes"
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

// kplMagic opens every record in the KPL's aggregation format.
var kplMagic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// errAggregated names why a KPL-aggregated record is dead-lettered, so that its dead letter
// says what to change rather than "not JSON". Records are not de-aggregated (see the README):
// the user records of one aggregate share its sequence number, which a checkpoint could not
// resume in the middle of.
var errAggregated = errors.New("a KPL-aggregated record, which this consumer does not de-aggregate: turn aggregation off in the producer (AggregationEnabled=false)")

// process handles one batch of records. Records that cannot be parsed or are invalid go to the
// dead letters, and so do those the worker fails on their own (see handle). Other failures
// hold the shard up: skipping them would lose records and reading on past them would reorder
// them, so the shard waits, and its lag shows on /metrics. It returns nil once every record is
// stored or dead-lettered, and only then may the batch be checkpointed.
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
			if bytes.HasPrefix(r.Data, kplMagic) {
				err = errAggregated
			}
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
//
// A record is never skipped without a dead letter: the checkpoint must not move past a record
// kept nowhere. A table that refuses it for good (missing, misconfigured, not ours to write)
// pauses the shard instead, as a failing results sink does: its lease kept and renewed, the
// refusal counted, logged and reported by Stalled (so readiness fails), and the write tried
// again after a backoff for as long as it takes an operator to fix the table. Another replica
// would meet the same table, so the lease is not given up. Failures that may pass (throttling,
// timeouts) are retried, and give the lease up after MaxAttempts like any other.
func (c *Consumer) poison(ctx context.Context, shard string, r types.Record, reason error) error {
	log := c.cfg.Logger.With("shard_id", shard, "sequence_number", aws.ToString(r.SequenceNumber), "partition_key", aws.ToString(r.PartitionKey), "reason", reason.Error())
	if errors.Is(reason, pipeline.ErrConflict) {
		log.WarnContext(ctx, "conflicting record recorded on the stored result and skipped")
		return nil
	}
	stalled := pipeline.Dependency{What: deadLettering, Of: shard}
	defer c.failing.Note(stalled, nil)
	attempt, refused := 1, 0
	for {
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
			if refused++; refused == 1 {
				sum := sha256.Sum256(r.Data)
				c.cfg.Metrics.DeadLetterFailures.Add(1)
				log.ErrorContext(ctx, "the dead-letter table refuses the record for good; the shard pauses, its checkpoint held before the record, until the table takes it", "error", err, "payload_bytes", len(r.Data), "payload_sha256", hex.EncodeToString(sum[:]))
			}
			c.failing.Note(stalled, err)
			if err := c.cfg.Retry.Wait(ctx, refused); err != nil {
				return err
			}
			continue
		}
		c.logFailure(ctx, log, err, false, "dead-lettering a record", "attempt", attempt)
		if attempt >= c.cfg.MaxAttempts {
			return errGaveUp
		}
		if err := c.cfg.Retry.Wait(ctx, attempt); err != nil {
			return err
		}
		attempt++
	}
	if refused > 0 {
		log.InfoContext(ctx, "the dead-letter table took the record it refused; the shard resumes", "refusals", refused)
	}
	c.cfg.Metrics.DeadLettered.Add(1)
	// A client's fault, counted in orchestrator_messages_dead_lettered_total and kept with
	// its reason in the dead-letter queue: DEBUG, by workerclient.FailureLog's rule.
	log.DebugContext(ctx, "poison record dead-lettered")
	return nil
}
