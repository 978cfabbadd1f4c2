package kinesisconsumer

import (
	"context"
	"errors"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"go.opentelemetry.io/otel/trace"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
)

// handle scores and stores reqs, which came from records. It pauses while Ready is false and
// retries in place while the worker sheds load; a failure after the pipeline's own retries with
// both looking healthy fails the batch (errGaveUp).
//
// A call the worker refuses for what it carries (pipeline.Refused) or crashes on
// (pipeline.Crashed) would fail again on every redelivery, and with it the whole batch: one
// such record would hold its shard up for good. So the records are narrowed down (narrow) to
// those that fail alone, while every other one is stored, in order. Those are dead-lettered
// with the worker's reason only if the worker scored some other record meanwhile, here or on
// another shard, or else a canary (pipeline.Isolation), and they fail alone
// pipeline.ConfirmAttempts rounds more after that (a worker fixed mid-round must not cost the
// records it failed before): else the worker itself may be broken, refusing everything, and
// the shard holds them, its checkpoint unmoved and its lease kept, and tries them again after
// a backoff (pipeline.Isolation, which also reports a broken worker for readiness).
//
// Order suffers within the batch, whatever the partition keys: a record that fails alone is
// stored or dead-lettered after the records behind it, and a held round's first record, tried
// alone, ahead of those before it. Nothing keeps a key's later records behind a held one; the
// README's delivery section states the order that does hold.
func (c *Consumer) handle(ctx context.Context, shard string, reqs []*scoringv1.ScoreRequest, records []types.Record) error {
	for round, confirming, held := 1, 0, false; ; round++ {
		s := suspects{mark: c.isolation.Mark(), held: held}
		var err error
		if held {
			// Tried alone first, one record (another each round, so that a poison one cannot
			// stand for the rest for ever) tells whether the worker scores again; while it does
			// not, the others are held untried, so a broken worker gets one call a round.
			k := round % len(reqs)
			err = c.narrow(ctx, shard, reqs[k:k+1], records[k:k+1], &s)
			if err == nil {
				err = c.narrow(ctx, shard, slices.Concat(reqs[:k], reqs[k+1:]), slices.Concat(records[:k], records[k+1:]), &s)
			}
		} else {
			err = c.narrow(ctx, shard, reqs, records, &s)
		}
		if err != nil || len(s.records) == 0 {
			return err
		}
		held = false
		switch {
		case s.broken:
			confirming = 0
		case confirming == pipeline.ConfirmAttempts:
			for k, r := range s.records {
				if err := c.poison(ctx, shard, r, s.reasons[k]); err != nil {
					return err
				}
			}
			return nil
		case confirming > 0:
			confirming++
			reqs, records = s.reqs, s.records
			continue
		// A canary is linked to the batch's span, the round it serves.
		case c.isolation.Isolated(ctx, s.mark, len(s.records), s.reason, trace.LinkFromContext(ctx)):
			confirming = 1
			c.cfg.Logger.Log(ctx, c.failures.Unexpected(), "records failed alone while the worker scored others or a canary; they are tried alone again before they are dead-lettered", "shard_id", shard, "records", len(s.records), "error", s.reason)
			reqs, records = s.reqs, s.records
			continue
		}
		c.cfg.Logger.Log(ctx, c.failures.Unexpected(), "the worker scored nothing else, canary included, while records failed alone; the shard holds them, not dead-lettered, and tries again after a backoff", "shard_id", shard, "records", len(s.records), "round", round, "error", s.reason)
		if err := c.cfg.Retry.Wait(ctx, round); err != nil {
			return err
		}
		reqs, records, held = s.reqs, s.records, true
	}
}

// canaryOf is h's Canary, or nil when h has none (see Handler).
func canaryOf(h Handler) func(context.Context) error {
	if c, ok := h.(interface{ Canary(context.Context) error }); ok {
		return c.Canary
	}
	return nil
}

// suspects are the records of a round that failed alone, in order, each with its reason.
type suspects struct {
	reqs    []*scoringv1.ScoreRequest
	records []types.Record
	reasons []error
	reason  error          // the last one
	broken  bool           // the worker answered a call UNIMPLEMENTED: hold everything
	mark    pipeline.Round // the round's start (pipeline.Isolation.Mark)
	held    bool           // a held round: once one fails with nothing scored since mark, hold the rest untried
}

// hold reports whether the rest of the round is held untried (see suspects).
func (s *suspects) hold(iso *pipeline.Isolation) bool {
	return s.broken || s.held && len(s.records) > 0 && !iso.ScoredSince(s.mark)
}

func (s *suspects) add(reqs []*scoringv1.ScoreRequest, records []types.Record, reason error) {
	for i := range reqs {
		s.reqs, s.records, s.reasons = append(s.reqs, reqs[i]), append(s.records, records[i]), append(s.reasons, reason)
	}
	s.reason = reason
}

// narrow handles reqs, halving, in order, a call that fails for what it may carry, each half on
// its own, down to single records where need be, and adds to s those that fail alone: refused
// once, or crashed on pipeline.PoisonAttempts times. One such record among n costs about
// 2·log₂(n) calls more. What the worker rejects item by item (the rejected of Handle) is a
// suspect too; a conflict is the sink's verdict, not the worker's, and is passed to poison now.
func (c *Consumer) narrow(ctx context.Context, shard string, reqs []*scoringv1.ScoreRequest, records []types.Record, s *suspects) error {
	for attempt, crashed := 1, 0; ; attempt++ {
		if s.hold(&c.isolation) {
			s.add(reqs, records, s.reason)
			return nil
		}
		if err := c.await(ctx, shard); err != nil {
			return err
		}
		rejected, err := c.handler.Handle(ctx, reqs)
		if err == nil {
			scored := len(reqs)
			for i := range reqs {
				reason, bad := rejected[i]
				switch {
				case bad && errors.Is(reason, pipeline.ErrConflict):
					if err := c.poison(ctx, shard, records[i], reason); err != nil {
						return err
					}
				case bad:
					s.add(reqs[i:i+1], records[i:i+1], reason)
					scored--
				}
			}
			c.isolation.Scored(scored)
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
			c.cfg.Logger.Log(ctx, c.failures.Level(err), "the worker is shedding load; the shard backs off and retries", "shard_id", shard, "records", len(reqs), "error", err, "attempt", attempt)
			if err := c.cfg.Retry.Wait(ctx, attempt); err != nil {
				return err
			}
		case !c.cfg.Ready():
			// An outage of the worker or the sink is no fault of the records: the shard pauses
			// (await) with its lease renewed, and retries once they are back.
			c.cfg.Logger.Log(ctx, c.failures.Level(err), "handling records failed while the worker or the sink is down; the shard waits for them", "shard_id", shard, "records", len(reqs), "error", err)
		case pipeline.Broken(err):
			c.isolation.Broke(err)
			c.cfg.Logger.ErrorContext(ctx, "the worker answered a call UNIMPLEMENTED; the shard holds its records, not dead-lettered", "shard_id", shard, "records", len(reqs), "error", err)
			s.add(reqs, records, err)
			s.broken = true
			return nil
		case pipeline.Suspect(err) && len(reqs) > 1:
			c.cfg.Logger.Log(ctx, c.failures.Unexpected(), "the worker failed the records whole; halving them to find those that fail alone", "shard_id", shard, "records", len(reqs), "first_sequence_number", aws.ToString(records[0].SequenceNumber), "error", err)
			half := len(reqs) / 2
			if err := c.narrow(ctx, shard, reqs[:half], records[:half], s); err != nil {
				return err
			}
			return c.narrow(ctx, shard, reqs[half:], records[half:], s)
		case pipeline.Refused(err):
			s.add(reqs, records, err)
			return nil
		case pipeline.Crashed(err):
			if crashed++; crashed >= pipeline.PoisonAttempts {
				s.add(reqs, records, err)
				return nil
			}
			c.cfg.Logger.Log(ctx, c.failures.Unexpected(), "the worker crashed on a record alone; it is tried again", "shard_id", shard, "sequence_number", aws.ToString(records[0].SequenceNumber), "attempt", crashed, "error", err)
			if err := c.cfg.Retry.Wait(ctx, crashed); err != nil {
				return err
			}
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
