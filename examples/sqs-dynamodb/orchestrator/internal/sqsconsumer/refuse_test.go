package sqsconsumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
	"example.com/sqs-dynamodb/orchestrator/internal/results"
	"example.com/sqs-dynamodb/orchestrator/internal/validation"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
)

// refusingWorker is a scoring worker, served over real gRPC, that scores every request but
// refuses whole any call carrying a request whose id starts with "poison": with refusal, or,
// when that is nil, by answering it with a response over the client's size limit.
type refusingWorker struct {
	scoringv1.UnimplementedScoringServiceServer
	refusal error
}

func (w refusingWorker) answer(r *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	resp := &scoringv1.ScoreResponse{Id: r.GetId(), Score: 0.5}
	if !strings.HasPrefix(r.GetId(), "poison") {
		return resp, nil
	}
	if w.refusal != nil {
		return nil, w.refusal
	}
	resp.ReasonCodes = []string{strings.Repeat("x", validation.MaxResponseBytes)}
	return resp, nil
}

func (w refusingWorker) Score(_ context.Context, r *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	return w.answer(r)
}

func (w refusingWorker) ScoreBatch(_ context.Context, b *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	out := &scoringv1.ScoreBatchResponse{}
	for _, r := range b.GetRequests() {
		resp, err := w.answer(r)
		if err != nil {
			return nil, err
		}
		out.Results = append(out.Results, &scoringv1.ScoreResult{Outcome: &scoringv1.ScoreResult_Response{Response: resp}})
	}
	return out, nil
}

// storeAll is a results sink that stores every entry.
type storeAll struct{}

func (storeAll) Put(_ context.Context, entries []results.Entry) (results.PutResult, error) {
	var got results.PutResult
	for i := range entries {
		got.Stored = append(got.Stored, i)
	}
	return got, nil
}

func (storeAll) Probe(context.Context) error { return nil }

// serveWorker serves w on a local port and returns a client of it, as main makes one.
func serveWorker(t *testing.T, w scoringv1.ScoringServiceServer) *workerclient.Client {
	t.Helper()
	return serveReplicas(t, w)
}

// serveReplicas serves each of ws on a local port of its own and returns a client balancing
// over them all, as main makes one for a worker's replicas.
func serveReplicas(t *testing.T, ws ...scoringv1.ScoringServiceServer) *workerclient.Client {
	t.Helper()
	var addrs []string
	for _, w := range ws {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := grpc.NewServer()
		scoringv1.RegisterScoringServiceServer(srv, w)
		// The client sends calls only to a replica whose health says SERVING.
		hs := health.NewServer()
		hs.SetServingStatus(scoringv1.ScoringService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
		healthpb.RegisterHealthServer(srv, hs)
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(srv.Stop)
		addrs = append(addrs, lis.Addr().String())
	}
	// Real gRPC on loopback, which no synctest bubble can host (see realCeiling), so a call
	// is timed on the real clock: the tests wait for its answer, and only a call that hangs,
	// never one a loaded machine slows, reaches realCeiling.
	c, err := workerclient.New(addrs, workerclient.Options{CallTimeout: realCeiling, Logger: slog.New(slog.DiscardHandler), Name: "refusing", Untraced: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// A worker, up and healthy, that refuses a whole batch for what one or two of its messages
// carry, or crashes on them, must cost only those messages: the rest of the batch is scored, stored and deleted at
// once, and the refused ones alone are dead-lettered, with the worker's reason. Left together,
// every message of the batch would be redelivered with the poison until all were dead-lettered.
func TestAWholeBatchRefusalCostsOnlyTheMessagesAtFault(t *testing.T) {
	watchdog(t, "a refused batch is retried without end")
	for _, tc := range []struct {
		name    string
		refusal error // nil: a response over gRPC's size limit
		reason  string
	}{
		{"failed precondition", status.Error(codes.FailedPrecondition, "feature store has no entry for this customer"), "FailedPrecondition"},
		{"out of range", status.Error(codes.OutOfRange, "amount out of the model's range"), "OutOfRange"},
		// As the Rust worker answers a panic in scoring, and grpc-go a handler's plain error.
		{"internal", status.Error(codes.Internal, "scoring failed unexpectedly"), "Internal"},
		{"unknown", errors.New("index out of range"), "Unknown"},
		{"message over the size limit", nil, "larger than max"},
		{"invalid argument from a worker without item results", status.Error(codes.InvalidArgument, "bad request"), "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &fakeSQS{redrive: redrive}
			noSleep := func(context.Context, time.Duration) error { return nil }
			proc := &pipeline.Processor{
				Scorer: serveWorker(t, refusingWorker{refusal: tc.refusal}),
				Sink:   storeAll{},
				Retry:  pipeline.Retry{Sleep: noSleep}, Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler),
			}
			c := newConsumer(t, q, proc.Handle)
			var msgs []types.Message
			var all []string
			for i := range 10 {
				id := fmt.Sprintf("m%d", i)
				if i == 3 || i == 8 {
					id = "poison-" + id
				}
				all = append(all, id)
				msgs = append(msgs, valid(id))
			}
			c.handle(context.Background(), msgs)
			deleted, _, _ := q.snapshot()
			slices.Sort(deleted)
			slices.Sort(all)
			if !slices.Equal(deleted, all) {
				t.Errorf("deleted %v, want all of %v: the innocent stored, the poison dead-lettered", deleted, all)
			}
			q.mu.Lock()
			defer q.mu.Unlock()
			var dead []string
			for _, in := range q.deadLettered {
				dead = append(dead, aws.ToString(in.MessageAttributes["source_message_id"].StringValue))
				if reason := aws.ToString(in.MessageAttributes["poison_reason"].StringValue); !strings.Contains(reason, tc.reason) {
					t.Errorf("poison_reason %q, want the worker's refusal (%s)", reason, tc.reason)
				}
			}
			slices.Sort(dead)
			if want := []string{"poison-m3", "poison-m8"}; !slices.Equal(dead, want) {
				t.Errorf("dead-lettered %v, want only %v", dead, want)
			}
		})
	}
}
