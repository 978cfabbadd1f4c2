package sqsconsumer

import (
	"cmp"
	"context"
	"errors"
	"slices"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// process scores and stores reqs, which came from h.msgs[from[i]], and returns the error that
// left any of them unfinished.
//
// When the worker, up and not shedding, refuses a whole call for what it carries
// (pipeline.Refused) or crashes on it (pipeline.Crashed), one message of the batch may well be
// the cause and the others innocent: left to be redelivered together they would fail together
// until the redrive policy dead-lettered them all. So the batch is narrowed down (narrow) to
// the messages that fail alone, while the rest are stored and deleted. Those are dead-lettered
// with the worker's reason only if the worker scored some other message meanwhile, or else a
// canary (pipeline.Isolation), and they fail alone pipeline.ConfirmAttempts rounds more after
// that (a worker fixed mid-round must not cost the messages it failed before): else the worker
// itself may be broken, refusing everything, and they are held, hidden by the heartbeat
// without spending a receive, and tried again after a backoff (pipeline.Isolation, which also
// reports a broken worker for readiness). Holding the batch keeps this loop from receiving
// more, so a broken worker stops consuming once every loop holds one.
func (c *Consumer) process(ctx context.Context, h *handling, reqs []*scoringv1.ScoreRequest, from []int) error {
	for round, confirming, held := 1, 0, false; ; round++ {
		s := suspects{mark: c.isolation.Mark(), held: held}
		var err error
		if held {
			// Tried alone first, one message (another each round, so that a poison one cannot
			// stand for the rest for ever) tells whether the worker scores again; while it does
			// not, the others are held untried, so a broken worker gets one call a round.
			k := round % len(reqs)
			err = c.narrow(ctx, h, reqs[k:k+1], from[k:k+1], &s)
			if err == nil && ctx.Err() == nil {
				err = c.narrow(ctx, h, slices.Concat(reqs[:k], reqs[k+1:]), slices.Concat(from[:k], from[k+1:]), &s)
			}
		} else {
			err = c.narrow(ctx, h, reqs, from, &s)
		}
		if len(s.from) == 0 || err != nil || ctx.Err() != nil {
			return cmp.Or(err, ctx.Err())
		}
		held = false
		switch {
		case s.broken:
			confirming = 0
		case confirming == pipeline.ConfirmAttempts:
			for k, i := range s.from {
				if !c.setAside(h, i, s.reasons[k]) {
					err = cmp.Or(err, s.reasons[k])
				}
			}
			return err
		case confirming > 0:
			confirming++
			reqs, from = s.reqs, s.from
			continue
		case c.isolated(ctx, h, &s):
			confirming = 1
			c.cfg.Logger.Log(ctx, c.failures.Unexpected(), "messages failed alone while the worker scored others or a canary; they are tried alone again before they are dead-lettered", "messages", len(s.from), "error", s.reason)
			reqs, from = s.reqs, s.from
			continue
		}
		c.cfg.Logger.Log(ctx, c.failures.Unexpected(), "the worker scored nothing else, canary included, while messages failed alone; they are held, not dead-lettered, and tried again after a backoff", "messages", len(s.from), "round", round, "error", s.reason)
		if err := c.cfg.Retry.Wait(ctx, round); err != nil {
			return err
		}
		reqs, from, held = s.reqs, s.from, true
	}
}

// isolated ends s's round (pipeline.Isolation.Isolated); a canary it sends is linked to each
// suspect's span.
func (c *Consumer) isolated(ctx context.Context, h *handling, s *suspects) bool {
	return c.isolation.Isolated(ctx, s.mark, len(s.from), s.reason, h.got.links(s.from)...)
}

// canaryOf is h's Canary, or nil when h has none (see Handler).
func canaryOf(h Handler) func(context.Context) error {
	if c, ok := h.(interface{ Canary(context.Context) error }); ok {
		return c.Canary
	}
	return nil
}

// suspects are the messages of a round that failed alone, each with its reason.
type suspects struct {
	reqs    []*scoringv1.ScoreRequest
	from    []int
	reasons []error
	reason  error          // the last one
	broken  bool           // the worker answered a call UNIMPLEMENTED: hold everything
	mark    pipeline.Round // the round's start (pipeline.Isolation.Mark)
	held    bool           // a held round: once one fails with nothing scored since mark, hold the rest untried
}

// hold reports whether the rest of the round is held untried (see suspects).
func (s *suspects) hold(iso *pipeline.Isolation) bool {
	return s.broken || s.held && len(s.from) > 0 && !iso.ScoredSince(s.mark)
}

func (s *suspects) add(reqs []*scoringv1.ScoreRequest, from []int, reason error) {
	for i := range reqs {
		s.reqs, s.from, s.reasons = append(s.reqs, reqs[i]), append(s.from, from[i]), append(s.reasons, reason)
	}
	s.reason = reason
}

// narrow handles reqs, halving a call that fails for what it may carry, each half on its own,
// down to single messages where need be, and adds to s those that fail alone: refused once, or
// crashed on pipeline.PoisonAttempts times. A batch of n costs at most 2n-1 calls, plus the
// retries of crashes. What the worker rejects item by item (the rejected of Handle) is a suspect
// too; a conflict is the sink's verdict, not the worker's, and is set aside at once.
func (c *Consumer) narrow(ctx context.Context, h *handling, reqs []*scoringv1.ScoreRequest, from []int, s *suspects) error {
	for shed, crashed := 0, 0; ; {
		if s.hold(&c.isolation) {
			s.add(reqs, from, s.reason)
			return nil
		}
		// Received while the worker or the sink went down, or failed because it did: wait.
		if err := c.awaitReady(ctx); err != nil {
			return err
		}
		batchCtx, endBatch := h.got.batch(ctx, from)
		rejected, err := c.handler.Handle(batchCtx, reqs)
		endBatch()
		var retryReqs []*scoringv1.ScoreRequest
		var retryFrom []int
		scored := 0
		for i := range reqs {
			reason, bad := rejected[i]
			switch {
			case bad && errors.Is(reason, pipeline.ErrConflict):
				c.setAside(h, from[i], reason)
				scored++
			case bad:
				s.add(reqs[i:i+1], from[i:i+1], reason)
			case err == nil:
				h.done = append(h.done, h.msgs[from[i]])
				h.got.outcomes[from[i]] = outcomeProcessed
				scored++
			default:
				retryReqs, retryFrom = append(retryReqs, reqs[i]), append(retryFrom, from[i])
			}
		}
		c.isolation.Scored(scored)
		switch {
		case err == nil || ctx.Err() != nil:
			return err
		case pipeline.Shed(err):
			// The worker is up and refused the calls for load: no fault of these messages either.
			// They stay hidden (the heartbeat) and are retried in place after a jittered,
			// exponentially growing and capped wait, so shedding never costs a receive.
			shed++
			c.cfg.Logger.Log(ctx, c.failures.Level(err), "the worker is shedding load; the messages stay hidden and are retried after a backoff", "messages", len(retryReqs), "attempt", shed, "error", err)
			if c.cfg.Retry.Wait(ctx, shed) != nil {
				return err
			}
		case !c.cfg.Ready():
			// The outage is not these messages' fault. Their stored results, if any, make the
			// retry a no-op for those already stored.
			c.cfg.Logger.Log(ctx, c.failures.Level(err), "handling failed and consuming is paused; the messages stay hidden and are retried when it resumes", "messages", len(retryReqs), "error", err)
		case pipeline.Broken(err):
			c.isolation.Broke(err)
			c.cfg.Logger.ErrorContext(ctx, "the worker answered a call UNIMPLEMENTED; the messages are held, not dead-lettered", "messages", len(retryReqs), "error", err)
			s.add(retryReqs, retryFrom, err)
			s.broken = true
			return nil
		case pipeline.Suspect(err) && len(retryReqs) > 1:
			c.cfg.Logger.Log(ctx, c.failures.Unexpected(), "the worker failed a batch whole; its halves are tried apart to single out the messages at fault", "messages", len(retryReqs), "error", err)
			half := len(retryReqs) / 2
			first := c.narrow(ctx, h, retryReqs[:half], retryFrom[:half], s)
			if ctx.Err() != nil {
				return cmp.Or(first, ctx.Err()) // the second half is unfinished too
			}
			return cmp.Or(first, c.narrow(ctx, h, retryReqs[half:], retryFrom[half:], s))
		case pipeline.Refused(err):
			s.add(retryReqs, retryFrom, err)
			return nil
		case pipeline.Crashed(err):
			if crashed++; crashed >= pipeline.PoisonAttempts {
				s.add(retryReqs, retryFrom, err)
				return nil
			}
			c.cfg.Logger.Log(ctx, c.failures.Unexpected(), "the worker crashed on a message alone; it is tried again", "attempt", crashed, "error", err)
			if c.cfg.Retry.Wait(ctx, crashed) != nil {
				return err
			}
		default:
			return err
		}
		reqs, from = retryReqs, retryFrom
	}
}
