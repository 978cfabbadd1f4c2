package kinesisconsumer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// errGaveUp ends a reader after MaxAttempts failures in a row.
var errGaveUp = errors.New("too many failures in a row")

// readShard reads h's shard from just after its checkpoint until ctx is done, the lease is lost
// (work is done then too), the shard is finished, or it keeps failing. Each batch is handled and
// checkpointed with work, which outlives ctx so that a shutdown completes the batch in hand.
func (c *Consumer) readShard(ctx, work context.Context, h *held) outcome {
	l := h.get()
	shard := l.ShardID
	log := c.cfg.Logger.With("shard_id", shard)
	// how tells a stop for shutdown (work may be cut off then too) from a lost lease or too
	// many failures.
	how := func(err error) outcome {
		switch {
		case errors.Is(err, ErrLeaseLost) || h.lost.Load():
			return lost
		case errors.Is(err, errGaveUp):
			return failed
		}
		return stopped
	}
	pos := position(l.Checkpoint)
	iter, err := c.iterator(ctx, shard, pos)
	if err != nil {
		return how(err)
	}
	log.Info("reading shard", "after_sequence_number", pos)
	for failures := 0; ctx.Err() == nil; {
		if !h.proof.holds() {
			return c.unproven(h)
		}
		// A read still in flight when the proof runs out is abandoned, and what it returns unused;
		// one that does not answer within CallTimeout fails like any other.
		proven, callEnd := h.proof.deadline(), time.Now().Add(CallTimeout(c.cfg.LeaseDuration))
		cut, until := proven.Before(callEnd), callEnd
		if cut {
			until = proven
		}
		read, cancel := context.WithDeadline(ctx, until)
		out, err := c.client.GetRecords(read, &kinesis.GetRecordsInput{ShardIterator: aws.String(iter), Limit: aws.Int32(c.cfg.RecordLimit)})
		cut = cut && read.Err() != nil
		cancel()
		if !h.proof.holds() {
			return c.unproven(h)
		}
		var expired *types.ExpiredIteratorException
		switch {
		case err != nil && cut && ctx.Err() == nil:
			continue // Cut off at an earlier deadline of the proof, which a renewal has moved since.
		case errors.As(err, &expired):
			// Iterators last five minutes, which a long worker outage outlasts: start again after
			// the last checkpoint, which is exactly where handling stopped.
			log.Info("shard iterator expired; getting a new one", "after_sequence_number", pos)
			if iter, err = c.iterator(ctx, shard, pos); err != nil {
				return how(err)
			}
			continue
		case err != nil:
			if ctx.Err() != nil {
				return how(nil)
			}
			// Throttling is shared with every consumer of the stream and backing off is all there
			// is to do; anything else is bounded.
			if !throttled(err) {
				if failures++; failures >= c.cfg.MaxAttempts {
					log.Error("reading records", "error", err, "consecutive_failures", failures)
					return failed
				}
			}
			log.Warn("reading records", "error", err, "consecutive_failures", failures)
			_ = c.cfg.Retry.Wait(ctx, max(failures, 1))
			continue
		}
		failures = 0
		behind := aws.ToInt64(out.MillisBehindLatest)
		c.cfg.Metrics.SetShardLag(shard, behind)
		if n := len(out.Records); n > 0 {
			last := aws.ToString(out.Records[n-1].SequenceNumber)
			log.Info("records read", "first_sequence_number", aws.ToString(out.Records[0].SequenceNumber), "last_sequence_number", last, "records", n)
			if err := c.process(work, shard, out.Records); err != nil {
				return how(err)
			}
			if err := c.save(work, h, last); err != nil {
				return how(err)
			}
			pos = last
		}
		if out.NextShardIterator == nil {
			// Closed by a split or merge, and read to its end: its children may be leased now.
			if err := c.save(work, h, ShardEnd); err != nil {
				return how(err)
			}
			c.cfg.Metrics.DropShard(shard)
			log.Info("shard finished", "last_sequence_number", pos)
			return finished
		}
		iter = aws.ToString(out.NextShardIterator)
		wait := c.cfg.PollInterval
		if len(out.Records) > 0 && behind > 0 {
			wait = minReadInterval // Behind the tip: read on as fast as the shard allows.
		}
		_ = pipeline.Sleep(ctx, max(wait, minReadInterval))
	}
	return how(nil)
}

// unproven ends a reader whose lease can no longer be proven ours (see proof.go). The lease is
// not released: if nobody took it, the coordinator takes it again on its next round.
func (c *Consumer) unproven(h *held) outcome {
	l := h.get()
	c.cfg.Logger.Warn("lease no longer proven by a renewal; the reader stops", "lease_key", l.Key, "shard_id", l.ShardID, "proven_until", h.proof.deadline().UTC())
	return lost
}

// throttled reports read-limit errors, which are retried for as long as they last.
func throttled(err error) bool {
	var (
		pte *types.ProvisionedThroughputExceededException
		lee *types.LimitExceededException
		kte *types.KMSThrottlingException
	)
	return errors.As(err, &pte) || errors.As(err, &lee) || errors.As(err, &kte)
}

// iterator returns an iterator just after pos, or at the oldest record when pos is "".
func (c *Consumer) iterator(ctx context.Context, shard, pos string) (string, error) {
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
		call, cancel := c.call(ctx)
		out, err := c.client.GetShardIterator(call, in)
		cancel()
		if err == nil {
			return aws.ToString(out.ShardIterator), nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		c.cfg.Logger.Warn("getting a shard iterator", "shard_id", shard, "error", err, "attempt", attempt)
		if attempt >= c.cfg.MaxAttempts && !throttled(err) {
			return "", errGaveUp
		}
		if err := c.cfg.Retry.Wait(ctx, attempt); err != nil {
			return "", err
		}
	}
}

// process handles one batch of records. Records that cannot be parsed or are invalid go to the
// dead letters. Other failures hold the shard up: skipping them would lose records and reading
// on past them would reorder them, so the shard waits, and its lag shows on /metrics. It
// pauses while Ready is false and retries in place while the worker sheds load; a failure
// after the pipeline's own retries with both looking healthy fails the batch (errGaveUp).
func (c *Consumer) process(ctx context.Context, shard string, records []types.Record) (err error) {
	ctx, batch := c.startBatch(ctx, shard, records)
	defer func() { batch.end(err) }()
	var (
		reqs []*scoringv1.ScoreRequest
		from []int // reqs[i] came from records[from[i]]
	)
	for i, r := range records {
		req, err := pipeline.Decode(r.Data)
		if err != nil {
			if err := c.poison(ctx, shard, r, err); err != nil {
				return err
			}
			continue
		}
		reqs = append(reqs, req)
		from = append(from, i)
	}
	if len(reqs) == 0 {
		return nil
	}
	for attempt := 1; ; attempt++ {
		if err := c.await(ctx, shard); err != nil {
			return err
		}
		rejected, err := c.handler.Handle(ctx, reqs)
		if err == nil {
			for i, reason := range rejected {
				if err := c.poison(ctx, shard, records[from[i]], reason); err != nil {
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
	var conflict *results.Conflict
	if errors.As(reason, &conflict) {
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

// save checkpoints the held lease at cp. The write is fenced by the lease (owner, counter and
// the checkpoint it moves from): once another replica holds it, it fails with ErrLeaseLost and
// is not retried. It is tried even when the proof ran out while the batch was being handled
// (renewals slower than the batch, say): reads need the proof, as two readers must not overlap,
// but a fenced write is safe without it, and while nobody has taken the lease it saves the
// next owner from handling the whole batch again. Each write is bounded by CallTimeout and made
// without holding h.mu, so one that hangs delays this shard only, never its renewals.
func (c *Consumer) save(ctx context.Context, h *held, cp string) error {
	for attempt := 1; ; attempt++ {
		l := h.get()
		call, cancel := c.call(ctx)
		err := c.leases.Checkpoint(call, l, c.cfg.Owner, cp)
		cancel()
		if err == nil {
			h.checkpointed(cp)
			c.noteWrite(l.Key, checkpointing, nil)
			// One line per checkpoint, so its history across replicas can be checked.
			c.cfg.Logger.Info("checkpoint written", "shard_id", l.ShardID, "lease_key", l.Key, "lease_counter", l.Counter, "previous_checkpoint", l.Checkpoint, "checkpoint", cp)
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if errors.Is(err, ErrLeaseLost) {
			if !h.moved(l) {
				return err
			}
			// A renewal of ours crossed the write; try again on the counter it leaves.
		} else {
			c.noteWrite(l.Key, checkpointing, err)
		}
		c.cfg.Logger.Warn("writing a checkpoint", "shard_id", l.ShardID, "error", err, "attempt", attempt)
		if attempt >= c.cfg.MaxAttempts {
			return errGaveUp
		}
		if err := c.cfg.Retry.Wait(ctx, attempt); err != nil {
			return err
		}
	}
}
