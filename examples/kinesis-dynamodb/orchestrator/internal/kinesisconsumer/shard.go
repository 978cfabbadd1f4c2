package kinesisconsumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"example.com/kinesis-dynamodb/orchestrator/internal/awsenv"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
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
		case vanished(err):
			log.Warn("the stream no longer knows the shard; the shards are listed again to tell whether it aged out", "error", err)
			return gone
		}
		return stopped
	}
	pos := l.Checkpoint
	iter, err := c.iterator(ctx, l, pos)
	if err != nil {
		return how(err)
	}
	log.Info("reading shard", "checkpoint", pos)
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
			log.Info("shard iterator expired; getting a new one", "checkpoint", pos)
			if iter, err = c.iterator(ctx, l, pos); err != nil {
				return how(err)
			}
			continue
		case vanished(err):
			return how(err)
		case err != nil:
			if ctx.Err() != nil {
				return how(nil)
			}
			// Throttling is shared with every consumer of the stream and backing off is all there
			// is to do, for as long as it lasts; anything else is bounded.
			if !throttled(err) {
				c.noteWrite(l.Key, reading, err)
				if failures++; failures >= c.cfg.MaxAttempts {
					log.Error("reading records", "error", err, "consecutive_failures", failures)
					return failed
				}
			}
			c.logFailure(ctx, log, err, false, "reading records", "consecutive_failures", failures)
			_ = c.cfg.Retry.Wait(ctx, max(failures, 1))
			continue
		}
		failures = 0
		c.noteWrite(l.Key, reading, nil)
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

// throttled reports AWS throttling a call (a shard's read limit, the lease table's capacity,
// KMS decrypting the stream's records), which is retried for as long as it lasts.
func throttled(err error) bool {
	var kte *types.KMSThrottlingException // not among the SDK's throttling codes
	return awsenv.Throttled(err) || errors.As(err, &kte)
}

// logFailure logs a failed call (msg, with args and err) of a loop that tries it again, by
// workerclient.FailureLog's rule, as such a loop can fail on every turn: throttling is routine
// under load, so it is counted (orchestrator_throttled_calls_total) and logged at DEBUG, as is
// a failure the caller knows to be routine; anything else is WARN, once a second at most across
// the consumer's loops and shards.
func (c *Consumer) logFailure(ctx context.Context, log *slog.Logger, err error, routine bool, msg string, args ...any) {
	busy := throttled(err)
	if busy {
		c.cfg.Metrics.Throttled.Add(1)
	}
	log.Log(ctx, c.failures.Outcome(routine || busy), msg, append(args, "error", err)...)
}

// vanished reports the stream answering that it does not know the shard: it has aged out of
// the stream's retention (or the stream is gone), which syncShards settles from the listing.
func vanished(err error) bool {
	var rnf *types.ResourceNotFoundException
	return errors.As(err, &rnf)
}

// iterator returns an iterator into l's shard just after checkpoint pos: at the oldest record
// for TrimHorizon, at a latestFrom's time for one. Its failures count as the shard's reads
// failing, for Stalled; the next read clears them.
func (c *Consumer) iterator(ctx context.Context, l Lease, pos string) (string, error) {
	shard := l.ShardID
	in := &kinesis.GetShardIteratorInput{
		StreamName:        aws.String(c.cfg.StreamName),
		ShardId:           aws.String(shard),
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
	}
	if at, ok := startTime(pos); ok {
		in.ShardIteratorType = types.ShardIteratorTypeAtTimestamp
		in.Timestamp = aws.Time(at)
	} else if pos != TrimHorizon {
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
		if vanished(err) {
			return "", err // retrying cannot bring it back
		}
		if !throttled(err) {
			c.noteWrite(l.Key, reading, err)
		}
		c.logFailure(ctx, c.cfg.Logger, err, false, "getting a shard iterator", "shard_id", shard, "attempt", attempt)
		if attempt >= c.cfg.MaxAttempts && !throttled(err) {
			return "", errGaveUp
		}
		if err := c.cfg.Retry.Wait(ctx, attempt); err != nil {
			return "", err
		}
	}
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
		if errors.Is(err, ErrLeaseLost) && ctx.Err() == nil {
			err = c.settle(ctx, h, l, cp)
		}
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
		crossed := errors.Is(err, ErrLeaseLost)
		if crossed {
			if !h.moved(l) {
				return err
			}
			// A renewal of ours crossed the write, which is routine; try again on the counter it
			// leaves.
		} else {
			c.noteWrite(l.Key, checkpointing, err)
		}
		c.logFailure(ctx, c.cfg.Logger, err, crossed, "writing a checkpoint", "shard_id", l.ShardID, "attempt", attempt)
		if attempt >= c.cfg.MaxAttempts {
			return errGaveUp
		}
		if err := c.cfg.Retry.Wait(ctx, attempt); err != nil {
			return err
		}
	}
}

// settle reads back a lease whose checkpoint at cp, conditional on l, failed its condition. That
// is no proof of a takeover: a write of ours whose answer was lost (an earlier try that timed
// out, or this one's first, which the SDK re-sent after a dropped connection) may have landed,
// and moved the checkpoint from under its own condition. The table shows it then: our owner,
// the checkpoint at cp, and the counter we hold (or one a renewal of ours moved on). It
// returns nil then, ErrLeaseLost if the table shows otherwise, and the read's error if it could
// not be read, which counts as a failed try.
func (c *Consumer) settle(ctx context.Context, h *held, l Lease, cp string) error {
	cur, err := c.readLease(ctx, l.Key)
	if err != nil {
		return fmt.Errorf("checkpoint refused (%v) and the lease unreadable: %w", ErrLeaseLost, err)
	}
	if cur.Owner != c.cfg.Owner || cur.Checkpoint != cp || (cur.Counter != h.get().Counter && !h.moved(l)) {
		return ErrLeaseLost
	}
	c.cfg.Logger.Info("a checkpoint whose answer was lost had landed", "shard_id", l.ShardID, "lease_key", l.Key, "checkpoint", cp)
	return nil
}
