package sqsconsumer

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// stallingSQS is fakeSQS whose calls of the named kinds answer only after a delay, or fail when
// their context is done first, as an endpoint that is slow or stalled does.
type stallingSQS struct {
	*fakeSQS
	delay map[string]time.Duration
}

func (s stallingSQS) wait(ctx context.Context, call string) error {
	select {
	case <-time.After(s.delay[call]):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s stallingSQS) GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, o ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	if err := s.wait(ctx, "GetQueueUrl"); err != nil {
		return nil, err
	}
	return s.fakeSQS.GetQueueUrl(ctx, in, o...)
}

func (s stallingSQS) GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, o ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	if err := s.wait(ctx, "GetQueueAttributes"); err != nil {
		return nil, err
	}
	return s.fakeSQS.GetQueueAttributes(ctx, in, o...)
}

func resolveWith(delay map[string]time.Duration) (*Consumer, error) {
	c := New(stallingSQS{&fakeSQS{redrive: redrive}, delay}, nil, Config{
		QueueName:     "requests",
		AnswerTimeout: 5 * time.Second,
		Logger:        slog.New(slog.DiscardHandler),
	})
	return c, c.resolve(context.Background())
}

// Each call of resolve has AnswerTimeout to itself: calls that are slow but each inside the
// bound all succeed, where one bound over all three would let the first starve the rest.
func TestResolveBoundsEachCallOnItsOwn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := resolveWith(map[string]time.Duration{"GetQueueUrl": 4 * time.Second, "GetQueueAttributes": 4 * time.Second})
		if err != nil {
			t.Fatalf("resolve() error %v, want success: every call answered within AnswerTimeout", err)
		}
		if c.queueURL != queueURL || c.dlqURL != dlqURL {
			t.Errorf("resolved %q and %q, want %q and %q", c.queueURL, c.dlqURL, queueURL, dlqURL)
		}
	})
}

// A call that never answers fails after its own bound, and the error names that call.
func TestResolveNamesTheCallThatStalled(t *testing.T) {
	for _, call := range []string{"GetQueueUrl", "GetQueueAttributes"} {
		t.Run(call, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				_, err := resolveWith(map[string]time.Duration{call: time.Hour})
				if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), call) {
					t.Errorf("resolve() error %v, want a deadline naming %s", err, call)
				}
				if took := time.Since(start); took != 5*time.Second {
					t.Errorf("resolve() took %v, want the 5s AnswerTimeout", took)
				}
			})
		})
	}
}
