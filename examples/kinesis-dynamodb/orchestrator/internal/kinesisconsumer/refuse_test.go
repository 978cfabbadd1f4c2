package kinesisconsumer

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/ops"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
	"example.com/kinesis-dynamodb/orchestrator/internal/results"
	"example.com/kinesis-dynamodb/orchestrator/internal/workerclient"
)

// refusingWorker is a scoring worker that turns down, with code, every call carrying a request
// whose id starts with "poison", as a worker does a whole call it cannot take; it scores the
// rest. With codes.OK it refuses nothing itself.
type refusingWorker struct {
	scoringv1.UnimplementedScoringServiceServer
	code codes.Code
}

func (w *refusingWorker) refuse(reqs []*scoringv1.ScoreRequest) error {
	for _, r := range reqs {
		if w.code != codes.OK && strings.HasPrefix(r.GetId(), "poison") {
			return status.Errorf(w.code, "cannot score %s", r.GetId())
		}
	}
	return nil
}

func (w *refusingWorker) Score(_ context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	if err := w.refuse([]*scoringv1.ScoreRequest{req}); err != nil {
		return nil, err
	}
	return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
}

func (w *refusingWorker) ScoreBatch(_ context.Context, in *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	if err := w.refuse(in.GetRequests()); err != nil {
		return nil, err
	}
	out := &scoringv1.ScoreBatchResponse{}
	for _, r := range in.GetRequests() {
		out.Results = append(out.Results, &scoringv1.ScoreResult{Outcome: &scoringv1.ScoreResult_Response{Response: &scoringv1.ScoreResponse{Id: r.GetId()}}})
	}
	return out, nil
}

// orderedSink stores results in memory, noting the ids in the order they were stored.
type orderedSink struct {
	mu  sync.Mutex
	ids []string
}

func (s *orderedSink) Put(_ context.Context, entries []results.Entry) (results.PutResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var got results.PutResult
	for i, e := range entries {
		s.ids = append(s.ids, e.Result.GetId())
		got.Stored = append(got.Stored, i)
	}
	return got, nil
}

func (s *orderedSink) Probe(context.Context) error { return nil }

func (s *orderedSink) stored() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ids)
}

// scoringOver serves w, healthy, over gRPC on loopback with opts, and returns a pipeline storing what it
// scores in sink, through the worker client the orchestrator uses.
func scoringOver(t *testing.T, w scoringv1.ScoringServiceServer, sink results.Sink, opts ...grpc.ServerOption) *pipeline.Processor {
	t.Helper()
	return scoringAt(t, sink, serve(t, w, opts...))
}

// serve serves w, healthy, over gRPC on loopback with opts, and returns its address.
func serve(t *testing.T, w scoringv1.ScoringServiceServer, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, hs := grpc.NewServer(opts...), health.NewServer()
	scoringv1.RegisterScoringServiceServer(srv, w)
	healthpb.RegisterHealthServer(srv, hs)
	hs.SetServingStatus(scoringv1.ScoringService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// scoringAt returns a pipeline storing in sink what the worker replicas at addrs score, through
// the worker client the orchestrator uses, balancing over them.
func scoringAt(t *testing.T, sink results.Sink, addrs ...string) *pipeline.Processor {
	t.Helper()
	client, err := workerclient.New(addrs, workerclient.Options{Logger: slog.New(slog.DiscardHandler), Untraced: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return &pipeline.Processor{
		Scorer: client, Sink: sink, Retry: pipeline.Retry{Base: time.Millisecond, Max: 10 * time.Millisecond},
		Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler),
	}
}

// records makes a batch of these bodies, numbered from 1.
func records(bodies ...string) []types.Record {
	var out []types.Record
	for i, b := range bodies {
		out = append(out, types.Record{Data: []byte(b), SequenceNumber: aws.String(strconv.Itoa(i + 1)), PartitionKey: aws.String("k")})
	}
	return out
}

// bulky is a valid request of about 2 KB, over the test worker's 1 KB message limit.
func bulky(id string) string {
	var features []string
	for i := range 30 {
		features = append(features, fmt.Sprintf(`"f%02d":"%s"`, i, strings.Repeat("v", 60)))
	}
	return `{"id":"` + id + `","categoricalFeatures":{` + strings.Join(features, ",") + `}}`
}

// A valid record the worker turns down for the whole call, with a code that no retry changes, or
// crashes on every time, must not hold its shard up for good (the batch redelivered for ever)
// nor take the records around it down with it: it alone is dead-lettered, with the worker's
// reason, and every other record is stored, in order, so the batch can be checkpointed.
func TestARecordTheWorkerRefusesIsDeadLetteredAloneAndTheRestStored(t *testing.T) {
	for _, tc := range []struct {
		name   string
		worker *refusingWorker
		opts   []grpc.ServerOption
		poison [2]string
		reason string
	}{
		{"failed precondition", &refusingWorker{code: codes.FailedPrecondition}, nil, [2]string{body("poison-1"), body("poison-2")}, "FailedPrecondition"},
		{"out of range", &refusingWorker{code: codes.OutOfRange}, nil, [2]string{body("poison-1"), body("poison-2")}, "OutOfRange"},
		// As the Rust worker answers a panic in scoring, and grpc-go a handler's plain error.
		{"internal", &refusingWorker{code: codes.Internal}, nil, [2]string{body("poison-1"), body("poison-2")}, "Internal"},
		{"unknown", &refusingWorker{code: codes.Unknown}, nil, [2]string{body("poison-1"), body("poison-2")}, "Unknown"},
		// grpc-go's size limit answers RESOURCE_EXHAUSTED, as shedding does, but it is no load.
		{"over the message size limit", &refusingWorker{}, []grpc.ServerOption{grpc.MaxRecvMsgSize(1024)}, [2]string{bulky("big-1"), bulky("big-2")}, "larger than max"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink, dead := &orderedSink{}, &memoryDeadLetters{}
			c := New(&fakeKinesis{}, nil, dead, scoringOver(t, tc.worker, sink, tc.opts...), Config{
				StreamName: "requests", Retry: pipeline.Retry{Max: 10 * time.Millisecond}, Logger: slog.New(slog.DiscardHandler),
			})
			// Real gRPC, so a real-clock bound: realCeiling, which only a failing test reaches.
			ctx, cancel := context.WithTimeout(context.Background(), realCeiling)
			defer cancel()
			batch := records(body("a"), tc.poison[0], body("b"), body("c"), body("d"), tc.poison[1], body("e"))
			if err := c.process(ctx, "s0", batch); err != nil {
				t.Fatalf("process() = %v, want nil: every record stored or dead-lettered", err)
			}
			if got := sink.stored(); !slices.Equal(got, []string{"a", "b", "c", "d", "e"}) {
				t.Errorf("stored %v, want [a b c d e] in order", got)
			}
			want := []string{"s0 2 " + tc.poison[0], "s0 6 " + tc.poison[1]}
			if !slices.Equal(dead.records, want) {
				t.Errorf("dead letters %.80q, want the two refused records alone", dead.records)
			}
			for _, reason := range dead.reasons {
				if !strings.Contains(reason, tc.reason) {
					t.Errorf("dead letter reason %q, want the worker's (%s)", reason, tc.reason)
				}
			}
			if n := c.cfg.Metrics.DeadLettered.Load(); n != 2 {
				t.Errorf("dead_lettered = %d, want 2", n)
			}
		})
	}
}
