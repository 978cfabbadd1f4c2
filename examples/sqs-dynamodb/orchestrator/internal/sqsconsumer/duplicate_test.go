package sqsconsumer

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
)

// SQS delivers at least once, so one receive can hold the same message twice, each copy with
// its own receipt handle. What is done with one copy says nothing of the other: a copy set
// aside as poison must not keep its twin, still unfinished at shutdown, from being released.
func TestADuplicatedMessageIdIsTwoMessages(t *testing.T) {
	q := &fakeSQS{redrive: redrive}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newConsumer(t, q, func(context.Context, []*scoringv1.ScoreRequest) (map[int]error, error) {
		cancel() // shutting down while the twin is being scored
		return nil, context.Canceled
	})
	poison := types.Message{MessageId: aws.String("a"), ReceiptHandle: aws.String("rh-a"), Body: aws.String("not json")}
	twin := types.Message{MessageId: aws.String("a"), ReceiptHandle: aws.String("rh-a-again"), Body: aws.String(`{"id":"a"}`)}
	c.handle(ctx, []types.Message{poison, twin})

	deleted, visibility, deadLettered := q.snapshot()
	if deadLettered != 1 || len(deleted) != 1 || deleted[0] != "a" {
		t.Errorf("dead-lettered %d, deleted %v; want the poison copy dead-lettered and deleted by its own handle", deadLettered, deleted)
	}
	if v := visibility["a-again"]; len(v) != 1 || v[0] != 0 {
		t.Errorf("the unfinished copy's visibility was set to %v, want it released once with 0", v)
	}
	if v := visibility["a"]; len(v) != 0 {
		t.Errorf("the dead-lettered copy's visibility was set to %v, want it left alone", v)
	}
}
