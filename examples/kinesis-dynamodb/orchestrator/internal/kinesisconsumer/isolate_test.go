package kinesisconsumer

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/hangwatch"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
)

// brokenWorker is a scoring worker that fails every call with code until fixed is set, as a
// broken release does, and then scores everything.
type brokenWorker struct {
	scoringv1.UnimplementedScoringServiceServer
	code  codes.Code
	fixed atomic.Bool
	calls atomic.Int64
}

func (w *brokenWorker) Score(_ context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	w.calls.Add(1)
	if !w.fixed.Load() {
		return nil, status.Error(w.code, "broken release")
	}
	return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
}

func (w *brokenWorker) ScoreBatch(_ context.Context, in *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	w.calls.Add(1)
	if !w.fixed.Load() {
		return nil, status.Error(w.code, "broken release")
	}
	out := &scoringv1.ScoreBatchResponse{}
	for _, r := range in.GetRequests() {
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

// A worker that refuses or crashes on every record is broken, not shown a shard of poison: the
// shard must dead-letter nothing and keep its checkpoint (the batch unfinished) however long it
// lasts, readiness must say why, and once the worker is fixed the same records are stored, in
// order.
func TestAWorkerThatFailsEverythingDeadLettersNothingAndIsReported(t *testing.T) {
	for _, code := range []codes.Code{codes.FailedPrecondition, codes.Unimplemented, codes.Internal} {
		t.Run(code.String(), func(t *testing.T) {
			worker, sink, dead := &brokenWorker{code: code}, &orderedSink{}, &memoryDeadLetters{}
			// Each wait between held rounds hands the test a turn, until the worker is fixed:
			// the test counts the rounds exactly and waits for them rather than polling.
			held, fixed := make(chan struct{}), make(chan struct{})
			sleep := func(ctx context.Context, _ time.Duration) error {
				select {
				case held <- struct{}{}:
				case <-fixed:
				case <-ctx.Done():
					return ctx.Err()
				}
				return nil
			}
			c := New(&fakeKinesis{}, nil, dead, scoringOver(t, worker, sink), Config{
				StreamName: "requests", Retry: pipeline.Retry{Sleep: sleep}, Logger: slog.New(slog.DiscardHandler),
			})
			ctx, cancel := context.WithTimeout(context.Background(), realCeiling)
			defer cancel()
			processed := make(chan error, 1)
			go func() {
				processed <- c.process(ctx, "s0", records(body("a"), body("b"), body("c"), body("d"), body("e")))
			}()
			// nextWait waits for the shard's next wait between held rounds.
			nextWait := func(what string) {
				t.Helper()
				select {
				case <-held:
				case err := <-processed:
					dead.mu.Lock()
					defer dead.mu.Unlock()
					t.Fatalf("process() = %v (%d dead-lettered) while the worker fails everything, want it to hold the batch", err, len(dead.records))
				case <-ctx.Done():
					t.Fatalf("%s within %v", what, realCeiling)
				}
			}
			// The isolation marks the worker broken as a round ends, before its wait.
			for c.WorkerBroken() == nil {
				nextWait("readiness never reported the broken worker")
			}
			dead.mu.Lock()
			if len(dead.records) != 0 {
				t.Errorf("dead letters %.80q for a broken worker, want none", dead.records)
			}
			dead.mu.Unlock()
			// Held, the batch costs the broken worker two calls per wait (a record tried alone
			// and a canary), not a halving per round.
			const waits = 10
			calls := worker.calls.Load()
			for range waits {
				nextWait("the shard stopped trying the held batch again")
			}
			if n := worker.calls.Load() - calls; n > 2*waits+pipeline.PoisonAttempts {
				t.Errorf("%d calls to the broken worker over %d waits, want about two per wait", n, waits)
			}
			worker.fixed.Store(true)
			close(fixed)
			if err := <-processed; err != nil {
				t.Fatalf("process() = %v once the worker was fixed, want nil", err)
			}
			// Records held for the broken worker are stored as it recovers, perhaps after
			// records that followed them.
			got := sink.stored()
			slices.Sort(got)
			if !slices.Equal(slices.Compact(got), []string{"a", "b", "c", "d", "e"}) {
				t.Errorf("stored %v, want all of [a b c d e]", got)
			}
			if len(dead.records) != 0 {
				t.Errorf("dead letters %.80q, want none", dead.records)
			}
			if err := c.WorkerBroken(); err != nil {
				t.Errorf("readiness still reports %v once the worker scores again", err)
			}
		})
	}
}

// One poison record on a quiet stream is no broken worker: with no other traffic to vouch for
// the worker, a canary does, so the record is dead-lettered with the worker's reason, the
// batch finishes and readiness never fails, rather than the shard holding it and reporting the
// worker broken until other traffic comes.
func TestALonePoisonRecordOnAQuietStreamIsDeadLetteredWithoutFailingReadiness(t *testing.T) {
	for _, code := range []codes.Code{codes.FailedPrecondition, codes.Internal} {
		t.Run(code.String(), func(t *testing.T) {
			sink, dead := &orderedSink{}, &memoryDeadLetters{}
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
			c = New(&fakeKinesis{}, nil, dead, scoringOver(t, &refusingWorker{code: code}, sink), Config{
				StreamName: "requests", Retry: pipeline.Retry{Sleep: sleep}, Logger: slog.New(slog.DiscardHandler),
			})
			err := c.process(ctx, "s0", records(body("poison-1")))
			if err := reported.Load(); err != nil {
				t.Fatalf("readiness reported %v for a worker that fails one record", *err)
			}
			if err != nil {
				t.Fatalf("process() = %v, want nil: the poison record dead-lettered", err)
			}
			if err := c.WorkerBroken(); err != nil {
				t.Fatalf("readiness reports %v for a worker that fails one record", err)
			}
			dead.mu.Lock()
			defer dead.mu.Unlock()
			if want := []string{"s0 1 " + body("poison-1")}; !slices.Equal(dead.records, want) {
				t.Errorf("dead letters %.80q, want the poison record alone", dead.records)
			}
			for _, reason := range dead.reasons {
				if !strings.Contains(reason, code.String()) {
					t.Errorf("dead letter reason %q, want the worker's (%s)", reason, code)
				}
			}
			if got := sink.stored(); len(got) != 0 {
				t.Errorf("stored %v, want nothing: the canary is never stored", got)
			}
		})
	}
}

// A replica that fails everything while it reports SERVING, beside a sound one, is no reason to
// dead-letter what it refuses, though the canary, balanced onto the sound one, scores: the
// record must fail alone on tries in a row after it (pipeline.ConfirmAttempts), which
// round_robin spreads over both replicas, so it is stored. Each record's first try is steered
// onto the broken replica, where a single try after the canary would land again.
func TestARecordABrokenReplicaRefusesIsStoredByASoundOne(t *testing.T) {
	broken := &brokenWorker{code: codes.FailedPrecondition}
	sink, dead := &orderedSink{}, &memoryDeadLetters{}
	proc := scoringAt(t, sink, serve(t, broken), serve(t, &refusingWorker{code: codes.FailedPrecondition}))
	// steer makes the client's next call go to the broken replica: round_robin takes the
	// replicas in turn, so it calls until the sound one has just answered, both being ready.
	// Until both replicas are connected, the calls go to those that are: each call waits for
	// its answer, so the loop needs no sleep, only realCeiling.
	steer := func(ctx context.Context) {
		t.Helper()
		for ctx.Err() == nil {
			calls := broken.calls.Load()
			_, err := proc.Scorer.Score(ctx, pipeline.CanaryRequest())
			if err == nil && broken.calls.Load() == calls && calls > 0 {
				return
			}
		}
		t.Fatalf("the calls never reached both replicas within %v", realCeiling)
	}
	sleep := func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	var want []string
	for i := range 4 {
		c := New(&fakeKinesis{}, nil, dead, proc, Config{
			StreamName: "requests", Retry: pipeline.Retry{Sleep: sleep}, Logger: slog.New(slog.DiscardHandler),
		})
		ctx, cancel := context.WithTimeout(context.Background(), realCeiling)
		steer(ctx)
		id := fmt.Sprintf("r%d", i)
		want = append(want, id)
		if err := c.process(ctx, "s0", records(body(id))); err != nil {
			t.Errorf("process(%s) = %v, want nil", id, err)
		}
		cancel()
	}
	if got := sink.stored(); !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v, each by the sound replica", got, want)
	}
	if len(dead.records) != 0 {
		t.Errorf("dead letters %.80q, want none", dead.records)
	}
}
