package workerclient_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/hangwatch"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
)

// flakyWorker fails the first failures calls with code, then succeeds.
type flakyWorker struct {
	scoringv1.UnimplementedScoringServiceServer
	failures int32
	code     codes.Code
	delay    time.Duration
	calls    atomic.Int32
}

func (f *flakyWorker) Score(ctx context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	if f.calls.Add(1) <= f.failures {
		return nil, status.Error(f.code, "not yet")
	}
	select {
	case <-time.After(f.delay):
		return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// serve starts a worker on TCP whose health reports the scoring service SERVING.
func serve(t *testing.T, w scoringv1.ScoringServiceServer, opts ...grpc.ServerOption) (addr string, hs *health.Server, srv *grpc.Server) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs, srv = serveOn(t, lis, w, opts...)
	hs.SetServingStatus(scoringv1.ScoringService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	return lis.Addr().String(), hs, srv
}

// serveOn serves w and a health service that knows nothing of it yet on lis.
func serveOn(t *testing.T, lis net.Listener, w scoringv1.ScoringServiceServer, opts ...grpc.ServerOption) (*health.Server, *grpc.Server) {
	t.Helper()
	srv := grpc.NewServer(opts...)
	hs := health.NewServer()
	scoringv1.RegisterScoringServiceServer(srv, w)
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return hs, srv
}

// newClient is a client for the worker at addr whose calls time out after timeout: realCeiling
// where the timeout is not what the test is about, so a call slowed by a loaded machine is not
// taken for a failure.
func newClient(t *testing.T, addr string, timeout time.Duration) *workerclient.Client {
	t.Helper()
	c, err := workerclient.New([]string{addr}, workerclient.Options{
		CallTimeout: timeout,
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRetriesUnavailable(t *testing.T) {
	w := &flakyWorker{failures: 1, code: codes.Unavailable}
	addr, _, _ := serve(t, w)
	c := newClient(t, addr, realCeiling)

	resp, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"})
	if err != nil {
		t.Fatalf("Score() error %v, want success on the second attempt", err)
	}
	if resp.GetId() != "a" || w.calls.Load() != 2 {
		t.Errorf("got %v after %d calls, want id a after 2", resp, w.calls.Load())
	}
}

// The pipelines own retrying; gRPC's own retry policy only adds one attempt, so the two
// layers do not multiply into a storm.
func TestGivesUpAfterThePolicysAttempts(t *testing.T) {
	w := &flakyWorker{failures: 100, code: codes.Unavailable}
	addr, _, _ := serve(t, w)
	c := newClient(t, addr, realCeiling)

	_, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"})
	if status.Code(err) != codes.Unavailable || w.calls.Load() != 2 {
		t.Errorf("error %v after %d calls, want UNAVAILABLE after 2", err, w.calls.Load())
	}
}

func TestDoesNotRetryOtherCodes(t *testing.T) {
	w := &flakyWorker{failures: 100, code: codes.InvalidArgument}
	addr, _, _ := serve(t, w)
	c := newClient(t, addr, realCeiling)

	_, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"})
	if status.Code(err) != codes.InvalidArgument || w.calls.Load() != 1 {
		t.Errorf("error %v after %d calls, want INVALID_ARGUMENT after 1", err, w.calls.Load())
	}
}

func TestCallTimeout(t *testing.T) {
	const answerAfter = time.Minute
	addr, _, _ := serve(t, &flakyWorker{delay: answerAfter})
	c := newClient(t, addr, 100*time.Millisecond)

	start := time.Now()
	_, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("error %v, want DEADLINE_EXCEEDED", err)
	}
	// Over real gRPC, so a bound a loaded machine cannot reach, not one near the timeout:
	// what matters is that the call ended long before the worker would have answered.
	if elapsed := time.Since(start); elapsed > answerAfter/2 {
		t.Errorf("took %v, want the 100ms call timeout, not the worker's %v", elapsed, answerAfter)
	}
}

// realCeiling bounds, on the real clock, the waits of the tests that talk to a worker over real
// gRPC, which no synctest bubble can host (a goroutine blocked on a socket never lets the
// bubble's clock move). Each waits for an event (a health change the client logs, a call's
// answer, WatchHealth returning), so this bounds only a test that is already failing:
// generous, so that a loaded machine never reaches it.
const realCeiling = hangwatch.Ceiling

// cancelAtDeadline answers CANCELLED once the call's deadline is near, as tonic does when
// the grpc-timeout it was sent runs out ("Timeout expired").
type cancelAtDeadline struct {
	scoringv1.UnimplementedScoringServiceServer
}

func (cancelAtDeadline) Score(ctx context.Context, _ *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	<-ctx.Done()
	return nil, status.Error(codes.Canceled, "Timeout expired")
}

func TestCancelledAtTheDeadlineIsDeadlineExceeded(t *testing.T) {
	addr, _, _ := serve(t, cancelAtDeadline{})
	c := newClient(t, addr, 200*time.Millisecond)

	_, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("error %v, want DEADLINE_EXCEEDED", err)
	}
}

func TestCancelledByTheCallerStaysCancelled(t *testing.T) {
	addr, _, _ := serve(t, &flakyWorker{delay: time.Minute})
	c := newClient(t, addr, 5*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)

	_, err := c.Score(ctx, &scoringv1.ScoreRequest{Id: "a"})
	if status.Code(err) != codes.Canceled {
		t.Errorf("error %v, want CANCELED", err)
	}
}

// A grpc-go worker refuses a request over its receive limit with RESOURCE_EXHAUSTED, the code
// it sheds load with: TooLarge tells the two apart, as a retry helps only the shed call.
func TestTooLargeTellsASizeLimitFromShedding(t *testing.T) {
	w := &flakyWorker{}
	addr, _, _ := serve(t, w, grpc.MaxRecvMsgSize(64))
	c := newClient(t, addr, realCeiling)
	_, err := c.Score(context.Background(), &scoringv1.ScoreRequest{Id: strings.Repeat("x", 128)})
	if status.Code(err) != codes.ResourceExhausted || !workerclient.TooLarge(err) {
		t.Errorf("a request over the worker's receive limit: %v, TooLarge %v; want RESOURCE_EXHAUSTED, TooLarge", err, workerclient.TooLarge(err))
	}
	if !workerclient.TooLarge(fmt.Errorf("scoring: %w", err)) {
		t.Error("TooLarge misses a wrapped size-limit error")
	}

	// tonic, the workers' gRPC, refuses with OUT_OF_RANGE and words of its own (tonic 0.14,
	// src/codec/decode.rs and encode.rs); any other OUT_OF_RANGE is no size limit.
	for _, msg := range []string{
		"Error, decoded message length too large: found 70000 bytes, the limit is: 65536 bytes",
		"Error, encoded message length too large: found 70000 bytes, the limit is: 65536 bytes",
	} {
		if err := status.Error(codes.OutOfRange, msg); !workerclient.TooLarge(err) {
			t.Errorf("tonic's %q: not TooLarge", msg)
		}
	}
	if err := status.Error(codes.OutOfRange, "score out of range"); workerclient.TooLarge(err) {
		t.Error("an OUT_OF_RANGE about a value is TooLarge")
	}

	shed := &flakyWorker{failures: 100, code: codes.ResourceExhausted}
	addr, _, _ = serve(t, shed)
	_, err = newClient(t, addr, realCeiling).Score(context.Background(), &scoringv1.ScoreRequest{Id: "a"})
	if status.Code(err) != codes.ResourceExhausted || workerclient.TooLarge(err) {
		t.Errorf("a shed call: %v, TooLarge %v; want RESOURCE_EXHAUSTED, not TooLarge", err, workerclient.TooLarge(err))
	}
}
