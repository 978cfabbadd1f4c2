package sqsconsumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
	"example.com/sqs-dynamodb/orchestrator/internal/results"
)

// stubScorer scores every request 0.5.
type stubScorer struct{}

func (stubScorer) Score(_ context.Context, r *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	return &scoringv1.ScoreResponse{Id: r.GetId(), Score: 0.5}, nil
}

func (s stubScorer) ScoreBatch(ctx context.Context, b *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	out := &scoringv1.ScoreBatchResponse{}
	for _, r := range b.GetRequests() {
		resp, _ := s.Score(ctx, r)
		out.Responses = append(out.Responses, resp)
	}
	return out, nil
}

// A results table that accepts connections and never answers, wired as main wires it: the
// sink's health says so (readiness, and receiving pauses) once one write has gone unanswered
// for its whole bound, not after the store's whole retry budget of such writes; the messages
// stay on the queue, and shutdown keeps its bound. On synctest's clock, so the bounds are exact.
func TestAResultsTableThatNeverAnswersFailsTheWritesInTime(t *testing.T) {
	watchdog(t, "a results table call hangs")
	synctest.Test(t, func(t *testing.T) {
		endpoint := silentEndpoint(t, nil)
		cfg := hangConfig()
		base := awsConfig(t, endpoint, QueueAttemptTimeout(cfg))
		sink := results.NewDynamoDB(dynamodb.NewFromConfig(awsenv.Bounded(base, SinkAttemptTimeout(cfg))), "results")
		health := &pipeline.SinkHealth{Probe: sink.Probe, Logger: cfg.Logger}
		proc := &pipeline.Processor{
			Scorer: stubScorer{}, Sink: sink, SinkHealth: health, Metrics: cfg.Metrics, Logger: cfg.Logger,
			Retry: pipeline.Retry{Base: 10 * time.Millisecond}, // the default budget of tries
		}
		q := &fakeSQS{pending: []types.Message{valid("a"), valid("b")}}
		cfg.Ready = func() bool { return health.Err() == nil }
		c := New(q, proc, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on a failure too, so Run ends with the bubble
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		// One unanswered write takes awsenv.CallTimeout of the sink's attempt bound; three
		// such bounds are far less than the eight such writes of the retry budget.
		within := 3 * awsenv.CallTimeout(SinkAttemptTimeout(cfg))
		if !waitFor(within, func() bool { return health.Err() != nil }) {
			t.Errorf("sink health %v after %v of writes that never answer; want the failure reported", health.Err(), within)
		}
		if deleted, _, _ := q.snapshot(); len(deleted) != 0 {
			t.Errorf("deleted %v though nothing was stored", deleted)
		}
		stopWithin(t, c, cancel, done)
	})
}

// landsUnseen is a results table whose next conditional write lands and then answers as a
// write whose answer was lost does: with a timeout (the call's bound ran out just after
// DynamoDB applied it), or with the failed condition the SDK's re-send of it meets, with the
// item that fails it or (an emulator) without.
type landsUnseen struct {
	mu     sync.Mutex
	items  map[string]map[string]dbtypes.AttributeValue
	answer error // what the next write that lands answers; nil for its own answer
	noOld  bool
}

func (u *landsUnseen) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	id := in.Item[results.DynamoDBKey].(*dbtypes.AttributeValueMemberS).Value
	if old, exists := u.items[id]; exists {
		e := &dbtypes.ConditionalCheckFailedException{Message: aws.String("exists")}
		if !u.noOld {
			e.Item = old
		}
		return nil, e
	}
	if u.items == nil {
		u.items = map[string]map[string]dbtypes.AttributeValue{}
	}
	u.items[id] = in.Item
	answer := u.answer
	u.answer = nil
	var failed *dbtypes.ConditionalCheckFailedException
	if errors.As(answer, &failed) && !u.noOld {
		failed.Item = in.Item
	}
	if answer != nil {
		return nil, answer
	}
	return &dynamodb.PutItemOutput{}, nil
}

func (u *landsUnseen) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !aws.ToBool(in.ConsistentRead) {
		return nil, errors.New("an eventually consistent read may miss the write that just landed")
	}
	return &dynamodb.GetItemOutput{Item: u.items[in.Key[results.DynamoDBKey].(*dbtypes.AttributeValueMemberS).Value]}, nil
}

func (u *landsUnseen) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, errors.New("no conflict here: nothing to record")
}

// handleWith handles msgs as main wires a consumer to the results table, and returns the counts.
func handleWith(t *testing.T, table results.DynamoDBAPI, msgs ...types.Message) (*fakeSQS, *ops.Metrics) {
	t.Helper()
	q, metrics := &fakeSQS{}, &ops.Metrics{}
	logger := slog.New(slog.DiscardHandler)
	proc := &pipeline.Processor{
		Scorer: stubScorer{}, Sink: results.NewDynamoDB(table, "results"), Metrics: metrics, Logger: logger,
		Retry: pipeline.Retry{Sleep: func(context.Context, time.Duration) error { return nil }},
	}
	c := New(q, proc, Config{
		QueueName: "requests", Concurrency: 1, VisibilityTimeout: 30 * time.Second,
		ShutdownTimeout: 10 * time.Second, TidyGrace: 3 * time.Second, Metrics: metrics, Logger: logger,
	})
	if err := c.resolve(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		c.handle(context.Background(), []types.Message{m})
	}
	return q, metrics
}

// A results write that landed but whose answer was lost leaves the item our own write left,
// which fails the condition of the next try. That is no earlier delivery: the message counts
// as processed, once, and is deleted. A real redelivery of it still counts as stored before.
func TestAResultsWriteThatLandedUnseenCountsAsProcessed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer error
		noOld  bool
	}{
		{"timed out", fmt.Errorf("operation error DynamoDB: PutItem, %w", context.DeadlineExceeded), false},
		{"re-sent by the SDK", &dbtypes.ConditionalCheckFailedException{Message: aws.String("exists")}, false},
		{"re-sent by the SDK to an emulator", &dbtypes.ConditionalCheckFailedException{Message: aws.String("exists")}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := &landsUnseen{answer: tc.answer, noOld: tc.noOld}
			redelivered := valid("a")
			redelivered.MessageId, redelivered.ReceiptHandle = aws.String("a-again"), aws.String("rh-a-again")
			q, m := handleWith(t, table, valid("a"), redelivered)
			if processed, before := m.Processed.Load(), m.StoredBefore.Load(); processed != 1 || before != 1 {
				t.Errorf("processed %d, stored before %d; want the write that landed unseen processed, its redelivery stored before", processed, before)
			}
			if deleted, _, _ := q.snapshot(); !slices.Equal(deleted, []string{"a", "a-again"}) {
				t.Errorf("deleted %v, want [a a-again]", deleted)
			}
		})
	}
}
