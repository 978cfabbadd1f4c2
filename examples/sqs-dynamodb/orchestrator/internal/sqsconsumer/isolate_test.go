package sqsconsumer

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/hangwatch"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// brokenWorker is a scoring worker that fails every call with failure until fixed is set, as a
// broken release does, and then scores everything.
type brokenWorker struct {
	scoringv1.UnimplementedScoringServiceServer
	failure error
	fixed   atomic.Bool
	calls   atomic.Int64
}

func (w *brokenWorker) Score(_ context.Context, r *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	w.calls.Add(1)
	if !w.fixed.Load() {
		return nil, w.failure
	}
	return &scoringv1.ScoreResponse{Id: r.GetId(), Score: 0.5}, nil
}

func (w *brokenWorker) ScoreBatch(_ context.Context, b *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	w.calls.Add(1)
	if !w.fixed.Load() {
		return nil, w.failure
	}
	out := &scoringv1.ScoreBatchResponse{}
	for _, r := range b.GetRequests() {
		out.Results = append(out.Results, &scoringv1.ScoreResult{Outcome: &scoringv1.ScoreResult_Response{Response: &scoringv1.ScoreResponse{Id: r.GetId()}}})
	}
	return out, nil
}

// realCeiling bounds each isolation test's wait on the real clock. The worker is served over
// real gRPC on loopback, which no synctest bubble can host (a goroutine blocked on a socket
// never lets the bubble's clock move), so these tests wait for events instead (a held round's
// backoff, a call's answer), and this bounds only a test that is already failing: generous,
// so that a loaded machine never reaches it.
const realCeiling = hangwatch.Ceiling

// A worker that refuses or crashes on everything is broken, not shown ten poison messages:
// nothing may be dead-lettered for it, however long it lasts, and readiness must say why
// consuming stalls. The messages stay in hand and are stored once the worker is fixed.
func TestAWorkerThatFailsEverythingDeadLettersNothingAndIsReported(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failure error
	}{
		{"failed precondition", status.Error(codes.FailedPrecondition, "model not loaded")},
		{"unimplemented", status.Error(codes.Unimplemented, "unknown service scoring.v1.ScoringService")},
		{"internal", status.Error(codes.Internal, "scoring failed unexpectedly")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &fakeSQS{redrive: redrive}
			worker := &brokenWorker{failure: tc.failure}
			noSleep := func(context.Context, time.Duration) error { return nil }
			proc := &pipeline.Processor{
				Scorer: serveWorker(t, worker), Sink: storeAll{},
				Retry: pipeline.Retry{Sleep: noSleep}, Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler),
			}
			c := newConsumerOf(t, q, proc)
			// Each wait between held rounds hands the test a turn, until the worker is fixed
			// (or the test ends): the test counts the waits exactly and waits for them rather
			// than polling.
			held, fixed := make(chan struct{}), make(chan struct{})
			c.cfg.Retry = pipeline.Retry{Sleep: func(ctx context.Context, _ time.Duration) error {
				select {
				case held <- struct{}{}:
				case <-fixed:
				case <-t.Context().Done():
					return t.Context().Err()
				}
				return nil
			}}
			var msgs []types.Message
			var all []string
			for i := range 10 {
				id := fmt.Sprintf("m%d", i)
				all = append(all, id)
				msgs = append(msgs, valid(id))
			}
			handled := make(chan struct{})
			go func() {
				defer close(handled)
				c.handle(context.Background(), msgs)
			}()
			ceiling := time.NewTimer(realCeiling)
			defer ceiling.Stop()
			// nextWait waits for the consumer's next wait between held rounds.
			nextWait := func(what string) {
				t.Helper()
				select {
				case <-held:
				case <-handled:
					_, _, dead := q.snapshot()
					t.Fatalf("handled the messages (%d dead-lettered) while the worker fails everything, want them held", dead)
				case <-ceiling.C:
					t.Fatalf("%s within %v", what, realCeiling)
				}
			}
			// The isolation marks the worker broken as a round ends, before its wait.
			for c.WorkerBroken() == nil {
				nextWait("readiness never reported the broken worker")
			}
			if _, _, dead := q.snapshot(); dead != 0 {
				t.Errorf("%d messages dead-lettered for a broken worker, want none", dead)
			}
			// Held, the batch costs the broken worker two calls per wait (a message tried alone
			// and a canary), not a halving per round.
			const waits = 10
			calls := worker.calls.Load()
			for range waits {
				nextWait("the consumer stopped trying the held messages again")
			}
			if n := worker.calls.Load() - calls; n > 2*waits+pipeline.PoisonAttempts {
				t.Errorf("%d calls to the broken worker over %d waits, want about two per wait", n, waits)
			}
			worker.fixed.Store(true)
			close(fixed)
			select {
			case <-handled:
			case <-ceiling.C:
				t.Fatalf("messages held for a broken worker were not retried within %v of its fix", realCeiling)
			}
			deleted, _, dead := q.snapshot()
			slices.Sort(deleted)
			if !slices.Equal(deleted, all) || dead != 0 {
				t.Errorf("deleted %v with %d dead-lettered, want all of %v stored once the worker was fixed, none dead-lettered", deleted, dead, all)
			}
			if err := c.WorkerBroken(); err != nil {
				t.Errorf("readiness still reports %v once the worker scores again", err)
			}
		})
	}
}

// One poison message on a quiet queue is no broken worker: with no other traffic to vouch for
// the worker, a canary does, so the message is dead-lettered with the worker's reason and
// readiness never fails, rather than holding it and reporting the worker broken until other
// traffic comes.
func TestALonePoisonMessageOnAQuietQueueIsDeadLetteredWithoutFailingReadiness(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refusal error
		reason  string
	}{
		{"failed precondition", status.Error(codes.FailedPrecondition, "feature store has no entry for this customer"), "FailedPrecondition"},
		{"internal", status.Error(codes.Internal, "scoring failed unexpectedly"), "Internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &fakeSQS{redrive: redrive}
			ctx, cancel := context.WithTimeout(context.Background(), realCeiling)
			defer cancel()
			// Readiness is read at every wait, where a round that found the worker broken
			// ends (the verdict comes before the wait), so no verdict goes unseen, as one
			// between samples of a poll could; the first ends the test.
			var c *Consumer
			var reported atomic.Pointer[error]
			sleep := func(ctx context.Context, _ time.Duration) error {
				if err := c.WorkerBroken(); err != nil && reported.CompareAndSwap(nil, &err) {
					cancel()
				}
				return ctx.Err()
			}
			proc := &pipeline.Processor{
				Scorer: serveWorker(t, refusingWorker{refusal: tc.refusal}), Sink: storeAll{},
				Retry: pipeline.Retry{Sleep: sleep}, Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler),
			}
			c = newConsumerOf(t, q, proc)
			c.cfg.Retry = pipeline.Retry{Sleep: sleep}
			c.handle(ctx, []types.Message{valid("poison-m0")})
			if err := reported.Load(); err != nil {
				t.Fatalf("readiness reported %v for a worker that fails one message", *err)
			}
			if err := c.WorkerBroken(); err != nil {
				t.Fatalf("readiness reports %v for a worker that fails one message", err)
			}
			if ctx.Err() != nil {
				t.Fatalf("the lone poison message was still held after %v", realCeiling)
			}
			q.mu.Lock()
			defer q.mu.Unlock()
			if len(q.deadLettered) != 1 {
				t.Fatalf("%d messages dead-lettered, want the poison one", len(q.deadLettered))
			}
			in := q.deadLettered[0]
			if id := aws.ToString(in.MessageAttributes["source_message_id"].StringValue); id != "poison-m0" {
				t.Errorf("dead-lettered %s, want poison-m0", id)
			}
			if reason := aws.ToString(in.MessageAttributes["poison_reason"].StringValue); !strings.Contains(reason, tc.reason) {
				t.Errorf("poison_reason %q, want the worker's refusal (%s)", reason, tc.reason)
			}
		})
	}
}

// A replica that fails everything while it reports SERVING, beside a sound one, is no reason to
// dead-letter what it refuses, though the canary, balanced onto the sound one, scores: the
// message must fail alone on tries in a row after it (pipeline.ConfirmAttempts), which
// round_robin spreads over both replicas, so it is stored. Each message's first try is steered
// onto the broken replica, where a single try after the canary would land again.
func TestAMessageABrokenReplicaRefusesIsStoredByASoundOne(t *testing.T) {
	broken := &brokenWorker{failure: status.Error(codes.FailedPrecondition, "model not loaded")}
	client := serveReplicas(t, broken, refusingWorker{refusal: status.Error(codes.FailedPrecondition, "cannot score")})
	sleep := func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	proc := &pipeline.Processor{
		Scorer: client, Sink: storeAll{},
		Retry: pipeline.Retry{Sleep: sleep}, Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler),
	}
	// steer makes the client's next call go to the broken replica: round_robin takes the
	// replicas in turn, so it calls until the sound one has just answered, both being ready.
	// Until both replicas are connected, the calls go to those that are: each call waits for
	// its answer, so the loop needs no sleep, only realCeiling.
	steer := func(ctx context.Context) {
		t.Helper()
		for ctx.Err() == nil {
			calls := broken.calls.Load()
			_, err := client.Score(ctx, pipeline.CanaryRequest())
			if err == nil && broken.calls.Load() == calls && calls > 0 {
				return
			}
		}
		t.Fatalf("the calls never reached both replicas within %v", realCeiling)
	}
	for i := range 4 {
		q := &fakeSQS{redrive: redrive}
		c := newConsumerOf(t, q, proc)
		c.cfg.Retry = pipeline.Retry{Sleep: sleep}
		ctx, cancel := context.WithTimeout(context.Background(), realCeiling)
		steer(ctx)
		id := fmt.Sprintf("m%d", i)
		c.handle(ctx, []types.Message{valid(id)})
		cancel()
		if deleted, _, dead := q.snapshot(); !slices.Equal(deleted, []string{id}) || dead != 0 {
			t.Errorf("deleted %v with %d dead-lettered, want %s stored by the sound replica", deleted, dead, id)
		}
	}
}
