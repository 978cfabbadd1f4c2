package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// failing fails every entry of every batch, counting the batches sent.
type failing struct{ sent int }

func (*failing) batchSize() int { return 10 }

func (f *failing) send(_ context.Context, batch []message) (map[int]error, error) {
	f.sent++
	failed := make(map[int]error, len(batch))
	for i := range batch {
		failed[i] = errors.New("throttled")
	}
	return failed, nil
}

// produce resends failed entries on the consumers' own budget (pipeline.Retry), not a count of
// its own: the README states one number of attempts for both.
func TestSendStopsAtTheSharedRetryBudget(t *testing.T) {
	noSleep := func(context.Context, time.Duration) error { return nil }
	byDefault, three := pipeline.Retry{Sleep: noSleep}, pipeline.Retry{Attempts: 3, Sleep: noSleep}
	one := message{id: "a"}
	for _, retry := range []pipeline.Retry{byDefault, three} {
		s := &failing{}
		err := send(context.Background(), s, []message{one}, retry)
		if err == nil {
			t.Fatal("send succeeded with every entry failing")
		}
		if s.sent != retry.MaxAttempts() {
			t.Errorf("Attempts %d: sent the batch %d times, want %d", retry.Attempts, s.sent, retry.MaxAttempts())
		}
	}
	if got := (pipeline.Retry{}).MaxAttempts(); got != pipeline.DefaultAttempts {
		t.Errorf("the zero Retry makes %d attempts, want DefaultAttempts (%d)", got, pipeline.DefaultAttempts)
	}
}
