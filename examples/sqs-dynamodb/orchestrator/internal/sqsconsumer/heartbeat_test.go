package sqsconsumer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
)

// slowSQS answers ChangeMessageVisibilityBatch late, as a loaded SQS (or moto) does, and keeps
// the time each message becomes visible again, to tell whether it ever could have been
// received by another consumer. A call cut off by its context does not take effect.
type slowSQS struct {
	*fakeSQS
	delays []time.Duration // per call, in order; then instant
	fail   int             // the first fail calls answer with an error, as a throttled SQS does
	// entryFault fails every entry as SQS's own fault (InternalError), leaving its timeout as it was.
	entryFault bool

	mu          sync.Mutex
	calls       int
	hiddenUntil map[string]time.Time
	lapsed      map[string]bool
}

func (s *slowSQS) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	s.mu.Lock()
	var delay time.Duration
	if s.calls < len(s.delays) {
		delay = s.delays[s.calls]
	}
	s.calls++
	failing := s.calls <= s.fail
	s.mu.Unlock()
	if failing {
		return nil, errors.New("ThrottlingException: rate exceeded")
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(delay):
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &sqs.ChangeMessageVisibilityBatchOutput{}
	for _, e := range in.Entries {
		id := idOf(e.ReceiptHandle)
		if s.entryFault && time.Now().Before(s.hiddenUntil[id]) {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError")})
			continue
		}
		if !time.Now().Before(s.hiddenUntil[id]) {
			s.lapsed[id] = true
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ReceiptHandleIsInvalid"), SenderFault: true})
			continue
		}
		s.hiddenUntil[id] = time.Now().Add(time.Duration(e.VisibilityTimeout) * time.Second)
	}
	if _, err := s.fakeSQS.ChangeMessageVisibilityBatch(ctx, in, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// A first extension that takes longer than a third of the visibility timeout (the old bound,
// which cut it off and waited for the next tick, by when the message had reappeared) still
// keeps the message hidden: it may take the time left, and later ones follow on.
func TestSlowExtensionStillKeepsMessagesHidden(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		slow := &slowSQS{fakeSQS: q, delays: []time.Duration{15 * time.Second}, hiddenUntil: map[string]time.Time{}, lapsed: map[string]bool{}}
		c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
			time.Sleep(90 * time.Second) // Three visibility timeouts.
			return nil, nil
		})
		c.client = slow
		slow.hiddenUntil["a"] = time.Now().Add(c.cfg.VisibilityTimeout) // As received now.
		c.handle(context.Background(), []types.Message{valid("a")})
		slow.mu.Lock()
		defer slow.mu.Unlock()
		if slow.lapsed["a"] || len(q.visibility["a"]) < 3 {
			t.Errorf("lapsed %v after extensions %v; want the message hidden throughout", slow.lapsed["a"], q.visibility["a"])
		}
		if deleted, _, _ := q.snapshot(); len(deleted) != 1 {
			t.Errorf("deleted %v, want a", deleted)
		}
	})
}

// A failed extension is retried at once, not a third of the timeout later: with two failures
// in a row, the old tick-paced retry reached the third attempt only as the message reappeared.
func TestFailedExtensionIsRetriedPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		slow := &slowSQS{fakeSQS: q, fail: 2, hiddenUntil: map[string]time.Time{}, lapsed: map[string]bool{}}
		c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
			time.Sleep(40 * time.Second)
			return nil, nil
		})
		c.client = slow
		slow.hiddenUntil["a"] = time.Now().Add(c.cfg.VisibilityTimeout)
		start := time.Now()
		c.handle(context.Background(), []types.Message{valid("a")})
		slow.mu.Lock()
		defer slow.mu.Unlock()
		if slow.lapsed["a"] || slow.calls < 3 || slow.hiddenUntil["a"].Sub(start) < 40*time.Second {
			t.Errorf("lapsed %v after %d calls, hidden until %v after the start; want the failed extension retried at once", slow.lapsed["a"], slow.calls, slow.hiddenUntil["a"].Sub(start))
		}
	})
}

// An extension that keeps failing is retried every 200ms until the visibility runs out; those
// retries are one failure per message, not one per try, on orchestrator_acknowledge_failures_total.
func TestRetriedExtensionCountsEachMessageOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{visibilityErr: errors.New("InternalError: try again")}
		c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
			time.Sleep(40 * time.Second) // past the visibility timeout: every extension fails
			return nil, nil
		})
		c.handle(context.Background(), []types.Message{valid("a"), valid("b")})
		if got := c.cfg.Metrics.VisibilityFailures.Load(); got != 2 {
			t.Errorf("orchestrator_acknowledge_failures_total{call=ChangeMessageVisibilityBatch} counted %d, want 2: each message once for its period", got)
		}
	})
}

// A lone message in hand whose extension fails until its visibility runs out has lost its
// lease: another consumer may receive it and spend a receive of its poison budget. That
// counts on readiness by itself, however few calls failed on the way. Before, the retries of
// one period counted as one failure, and one failure never stalls: only a second message's
// failing heartbeat made the lapse show. Each case is one way a lease lapses.
func TestALoneMessageWhoseVisibilityLapsesStallsTheConsumer(t *testing.T) {
	for _, tt := range []struct {
		name string
		sqs  func(*fakeSQS) *slowSQS
	}{
		// One extension that takes all the time left: cut off as the visibility runs out,
		// no time for a second attempt.
		{"one slow extension", func(q *fakeSQS) *slowSQS { return &slowSQS{fakeSQS: q, delays: []time.Duration{time.Hour}} }},
		// SQS answers, but fails the entry itself: the old timeout runs on, unextended.
		{"a failed entry", func(q *fakeSQS) *slowSQS { return &slowSQS{fakeSQS: q, entryFault: true} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := &fakeSQS{}
				slow := tt.sqs(q)
				slow.hiddenUntil, slow.lapsed = map[string]time.Time{}, map[string]bool{}
				c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
					time.Sleep(40 * time.Second) // past the visibility timeout
					return nil, nil
				})
				c.client = slow
				slow.hiddenUntil["a"] = time.Now().Add(c.cfg.VisibilityTimeout)
				c.handle(context.Background(), []types.Message{valid("a")})
				time.Sleep(c.cfg.stallAfter()) // nothing else extends anything meanwhile
				err := c.Stalled()
				if err == nil || !strings.Contains(err.Error(), ops.CallChangeMessageVisibilityBatch+" failing for") || !strings.Contains(err.Error(), "ran out") {
					t.Errorf("Stalled() = %v after a lone message's visibility ran out unextended; want %s failing, the visibility run out", err, ops.CallChangeMessageVisibilityBatch)
				}
				if got := c.cfg.Metrics.VisibilityFailures.Load(); got != 1 {
					t.Errorf("orchestrator_acknowledge_failures_total{call=ChangeMessageVisibilityBatch} counted %d, want 1: the message once for its period", got)
				}
			})
		})
	}
}

// Once visibility changes work again, the next receive's messages end the run on readiness,
// though handled too fast to need an extension: their heartbeat tries one at once while the
// run is open. Before, a lapse (or any run of them) held the replica unready for as long as
// no handling was slow enough to need one.
func TestAnOpenVisibilityRunEndsWithTheNextReceive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		slow := &slowSQS{fakeSQS: q, delays: []time.Duration{time.Hour}, hiddenUntil: map[string]time.Time{}, lapsed: map[string]bool{}}
		var work time.Duration
		c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
			time.Sleep(work)
			return nil, nil
		})
		c.client = slow
		slow.hiddenUntil["a"] = time.Now().Add(c.cfg.VisibilityTimeout)
		work = 40 * time.Second // the one extension hangs until a's visibility runs out
		c.handle(context.Background(), []types.Message{valid("a")})
		time.Sleep(c.cfg.stallAfter())
		if err := c.Stalled(); err == nil {
			t.Fatal("Stalled() = nil after a's visibility ran out; want the lapse reported")
		}
		work = time.Millisecond // SQS answers again; this handling needs no extension
		slow.mu.Lock()
		slow.hiddenUntil["b"] = time.Now().Add(c.cfg.VisibilityTimeout)
		slow.mu.Unlock()
		c.handle(context.Background(), []types.Message{valid("b")})
		if err := c.Stalled(); err != nil {
			t.Errorf("Stalled() = %v after b was received and handled with SQS answering; want nil", err)
		}
	})
}
