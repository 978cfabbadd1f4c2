package sqsconsumer

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
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
// writes fail within their bound, the sink's health says so (readiness, and receiving pauses),
// the messages stay on the queue, and shutdown keeps its bound.
func TestAResultsTableThatNeverAnswersFailsTheWritesInTime(t *testing.T) {
	watchdog(t, time.Minute, "a results table call hangs")
	srv := silentEndpoint(t, nil)
	cfg := hangConfig()
	base := awsConfig(t, srv.URL, QueueAttemptTimeout(cfg))
	sink := results.NewDynamoDB(dynamodb.NewFromConfig(awsenv.Bounded(base, SinkAttemptTimeout(cfg))), "results")
	health := &pipeline.SinkHealth{Probe: sink.Probe, Logger: cfg.Logger}
	proc := &pipeline.Processor{
		Scorer: stubScorer{}, Sink: sink, SinkHealth: health, Metrics: cfg.Metrics, Logger: cfg.Logger,
		Retry: pipeline.Retry{Attempts: 2, Base: 10 * time.Millisecond},
	}
	q := &fakeSQS{pending: []types.Message{valid("a"), valid("b")}}
	cfg.Ready = func() bool { return health.Err() == nil }
	c := New(q, proc, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	// Two tries of a write, each within awsenv.CallTimeout of the sink's attempt bound.
	within := 3 * awsenv.CallTimeout(SinkAttemptTimeout(cfg))
	if !waitFor(within, func() bool { return health.Err() != nil }) {
		t.Errorf("sink health %v after %v of writes that never answer; want the failure reported", health.Err(), within)
	}
	if deleted, _, _ := q.snapshot(); len(deleted) != 0 {
		t.Errorf("deleted %v though nothing was stored", deleted)
	}
	stopWithin(t, c, cancel, done)
}
