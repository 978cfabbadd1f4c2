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
// dead letters, and so do those the worker refuses on their own (see handle). Other failures
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

// handle scores and stores reqs, which came from records. It pauses while Ready is false and
// retries in place while the worker sheds load; a failure after the pipeline's own retries with
// both looking healthy fails the batch (errGaveUp).
//
// A call the worker refuses for what it carries (pipeline.Refused) would be refused again on
// every redelivery, and with it the whole batch: one such record would hold its shard up for
// good. So the records are halved, in order, each half handled on its own, down to the records
// refused even alone, which are dead-lettered with the worker's reason while every other one is
// stored. One refused record among n costs about 2·log₂(n) calls more.
func (c *Consumer) handle(ctx context.Context, shard string, reqs []*scoringv1.ScoreRequest, records []types.Record) error {
	for attempt := 1; ; attempt++ {
		if err := c.await(ctx, shard); err != nil {
			return err
		}
		rejected, err := c.handler.Handle(ctx, reqs)
		if err == nil {
			for i, reason := range rejected {
				if err := c.poison(ctx, shard, records[i], reason); err != nil {
					return err
				}
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case pipeline.Shed(err):
			// The worker refused the batch for load: it is up and the records are blameless, so
			// the shard backs off and retries in place however long it lasts, as for throttling,
			// rather than giving up its lease (another reader would only add to the load).
			c.cfg.Logger.WarnContext(ctx, "the worker is shedding load; the shard backs off and retries", "shard_id", shard, "records", len(reqs), "error", err, "attempt", attempt)
			if err := c.cfg.Retry.Wait(ctx, attempt); err != nil {
				return err
			}
		case !c.cfg.Ready():
			// An outage of the worker or the sink is no fault of the records: the shard pauses
			// (await) with its lease renewed, and retries once they are back.
			c.cfg.Logger.WarnContext(ctx, "handling records failed while the worker or the sink is down; the shard waits for them", "shard_id", shard, "records", len(reqs), "error", err)
		case pipeline.Refused(err) && len(reqs) == 1:
			return c.poison(ctx, shard, records[0], err)
		case pipeline.Refused(err):
			c.cfg.Logger.WarnContext(ctx, "the worker refused the records; halving them to find those it refuses alone", "shard_id", shard, "records", len(reqs), "first_sequence_number", aws.ToString(records[0].SequenceNumber), "error", err)
			half := len(reqs) / 2
			if err := c.handle(ctx, shard, reqs[:half], records[:half]); err != nil {
				return err
			}
			return c.handle(ctx, shard, reqs[half:], records[half:])
		default:
			// Handle has spent the delivery's one retry budget (pipeline.Retry's attempts, see
			// the README's "Limits and retries") on a worker and sink that look healthy. Retrying
			// here would stack a second budget on it, so the batch fails: its lease is released
			// for another try after a cool-off of a lease duration, a redelivery.
			c.cfg.Logger.ErrorContext(ctx, "handling records failed after the pipeline's retries", "shard_id", shard, "records", len(reqs), "error", err)
			return errGaveUp
		}
	}
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
