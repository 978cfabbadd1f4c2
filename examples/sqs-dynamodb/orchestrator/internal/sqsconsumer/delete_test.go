package sqsconsumer

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// hangingDeletes is fakeSQS whose first hang deletes never answer, as an endpoint that drops a
// request on the floor does; the ones after answer at once.
type hangingDeletes struct {
	*fakeSQS
	hang, calls int
}

func (s *hangingDeletes) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, o ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if s.calls++; s.calls <= s.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.fakeSQS.DeleteMessageBatch(ctx, in, o...)
}

// deleteWith deletes two messages through a queue whose first hang deletes never answer, and
// returns the consumer, the fake and how long the delete took. Backoffs take no time, so that
// the time taken is the attempts' alone.
func deleteWith(hang int) (*Consumer, *hangingDeletes, time.Duration) {
	fake := &hangingDeletes{fakeSQS: &fakeSQS{}, hang: hang}
	c := New(fake, nil, Config{
		AnswerTimeout: 5 * time.Second,
		Logger:        slog.New(slog.DiscardHandler),
		Retry:         pipeline.Retry{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }},
	})
	c.queueURL = queueURL
	start := time.Now()
	c.delete([]types.Message{message("a", "{}"), message("b", "{}")})
	return c, fake, time.Since(start)
}

// Each attempt of a delete has AnswerTimeout to itself: a first attempt that never answers
// costs its own bound, and the retry after it still deletes. Under one bound for all three
// attempts the first would spend it whole, and the stored results would be redelivered.
func TestDeleteBoundsEachAttemptOnItsOwn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, fake, took := deleteWith(1)
		if deleted, _, _ := fake.snapshot(); !slices.Equal(deleted, []string{"a", "b"}) {
			t.Errorf("deleted %v, want [a b]: the retry after a first attempt that timed out has its own AnswerTimeout", deleted)
		}
		if got := c.cfg.Metrics.DeleteFailures.Load(); got != 0 {
			t.Errorf("DeleteFailures = %d, want 0", got)
		}
		if took != 5*time.Second {
			t.Errorf("delete took %v, want the first attempt's 5s AnswerTimeout", took)
		}
	})
}

// A delete that never answers gives up after its three attempts, each cut at AnswerTimeout,
// and counts the messages it left undeleted.
func TestDeleteGivesUpAfterEveryAttemptTimedOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, fake, took := deleteWith(1000)
		if deleted, _, _ := fake.snapshot(); len(deleted) != 0 {
			t.Errorf("deleted %v, want none", deleted)
		}
		if fake.calls != 3 {
			t.Errorf("%d delete attempts, want 3", fake.calls)
		}
		if got := c.cfg.Metrics.DeleteFailures.Load(); got != 2 {
			t.Errorf("DeleteFailures = %d, want 2", got)
		}
		if took != 15*time.Second {
			t.Errorf("delete took %v, want 3 attempts of 5s each", took)
		}
	})
}
