package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/hangwatch"
	"example.com/http-chi/orchestrator/internal/httpapi"
	"example.com/http-chi/orchestrator/internal/ops"
	"example.com/http-chi/orchestrator/internal/telemetry"
	"example.com/http-chi/orchestrator/internal/validation"
	"example.com/http-chi/orchestrator/internal/workerclient"
)

// vectorsPath is testdata/vectors.json at the repo root, shared with the worker's tests.
var vectorsPath = filepath.Join("..", "..", "..", "testdata", "vectors.json")

type vector struct {
	name     string
	request  *scoringv1.ScoreRequest
	expected *scoringv1.ScoreResponse
	rawReq   []byte
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("shared test vectors: %v", err)
	}
	var file struct {
		Vectors []struct {
			Name     string          `json:"name"`
			Request  json.RawMessage `json:"request"`
			Expected json.RawMessage `json:"expected"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("%s: %v", vectorsPath, err)
	}
	if len(file.Vectors) == 0 {
		t.Fatalf("%s holds no vectors", vectorsPath)
	}
	var out []vector
	for _, v := range file.Vectors {
		vec := vector{name: v.Name, request: &scoringv1.ScoreRequest{}, expected: &scoringv1.ScoreResponse{}, rawReq: v.Request}
		if err := protojson.Unmarshal(v.Request, vec.request); err != nil {
			t.Fatalf("vector %s: request: %v", v.Name, err)
		}
		if err := protojson.Unmarshal(v.Expected, vec.expected); err != nil {
			t.Fatalf("vector %s: expected: %v", v.Name, err)
		}
		out = append(out, vec)
	}
	return out
}

// fakeWorker answers each vector's request with its expected response. It matches on the
// whole request, so anything lost between HTTP and gRPC shows up as a failed lookup.
type fakeWorker struct {
	scoringv1.UnimplementedScoringServiceServer
	t       *testing.T
	vectors []vector

	mu sync.Mutex
	// override, when set, answers instead of the vectors.
	override     func(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error)
	requestIDs   []string
	traceparents []string
}

// answer makes fn answer every Score call until the test ends.
func (f *fakeWorker) answer(t *testing.T, fn func(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.override = fn
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.override = nil
	})
}

func (f *fakeWorker) Score(ctx context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	f.mu.Lock()
	md, _ := metadata.FromIncomingContext(ctx)
	f.requestIDs = append(f.requestIDs, md.Get("x-request-id")...)
	f.traceparents = append(f.traceparents, md.Get("traceparent")...)
	override := f.override
	f.mu.Unlock()
	if override != nil {
		return override(ctx, req)
	}
	for _, v := range f.vectors {
		if proto.Equal(req, v.request) {
			return v.expected, nil
		}
	}
	f.t.Errorf("the worker received %v, which matches no vector's request", req)
	return nil, status.Error(codes.NotFound, "no such vector")
}

func (f *fakeWorker) ScoreBatch(ctx context.Context, req *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	resp := &scoringv1.ScoreBatchResponse{}
	for _, r := range req.GetRequests() {
		one, err := f.Score(ctx, r)
		if err != nil {
			return nil, err
		}
		resp.Responses = append(resp.Responses, one)
	}
	return resp, nil
}

type env struct {
	api    http.Handler
	worker *fakeWorker
	health *health.Server
	server *grpc.Server
	client *workerclient.Client
}

// newEnv starts a real gRPC worker on a loopback port and the API in front of it,
// so the tests cover the protojson and gRPC paths end to end.
func newEnv(t *testing.T, vectors []vector, timeout time.Duration) *env {
	t.Helper()
	// Sized like the real worker, from the contract.
	return newEnvLimited(t, vectors, timeout, validation.MaxRequestBytes)
}

// newEnvLimited is newEnv with a worker that takes requests of at most maxRecv bytes.
func newEnvLimited(t *testing.T, vectors []vector, timeout time.Duration, maxRecv int) *env {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(maxRecv))
	e := &env{worker: &fakeWorker{t: t, vectors: vectors}, health: health.NewServer(), server: srv}
	scoringv1.RegisterScoringServiceServer(e.server, e.worker)
	healthpb.RegisterHealthServer(e.server, e.health)
	e.health.SetServingStatus(scoringv1.ScoringService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	go func() { _ = e.server.Serve(lis) }()
	t.Cleanup(e.server.Stop)

	e.client = newClient(t, lis.Addr().String(), timeout)
	e.api = httpapi.New(httpapi.Config{Workers: primaryOnly(e.client), MaxBodyBytes: 4096, Logger: slog.New(slog.DiscardHandler), Ops: opsStub()})
	return e
}

// opsStub is the ops endpoints as the orchestrator serves them, always ready: readiness
// itself is decided in cmd/orchestrator (workers.ready).
func opsStub() http.Handler {
	return ops.NewHandler(telemetry.Handler(), func() error { return nil }, nil)
}

func newClient(t *testing.T, addr string, timeout time.Duration) *workerclient.Client {
	t.Helper()
	c, err := workerclient.New([]string{addr}, workerclient.Options{
		CallTimeout: timeout,
		Logger:      slog.New(slog.DiscardHandler),
		Name:        "primary",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.WatchHealth(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = c.Close()
	})
	return c
}

func do(h http.Handler, method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func post(h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
	return do(h, http.MethodPost, path, "application/json", body)
}

// healthChanges is a log handler that signals each health change a worker client logs, the
// event its Health() follows: the client stores the new health before it logs the change.
// Signals coalesce (a buffer of one), as a waiter reads the latest health whenever woken.
type healthChanges chan struct{}

func (h healthChanges) Enabled(context.Context, slog.Level) bool { return true }

func (h healthChanges) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "worker health changed" {
		select {
		case h <- struct{}{}:
		default:
		}
	}
	return nil
}

func (h healthChanges) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h healthChanges) WithGroup(string) slog.Handler      { return h }

// realCeiling bounds, on the real clock, a wait for the client to learn a worker's health:
// it learns it over real sockets, which no synctest bubble can host (a goroutine blocked on
// a socket never lets the bubble's clock move). The wait is for the change the client logs,
// so this bounds only a test that is already failing: generous, so a loaded machine never
// reaches it.
const realCeiling = hangwatch.Ceiling

// awaitHealth waits until c, logging to changes, reports want.
func awaitHealth(t *testing.T, c *workerclient.Client, changes healthChanges, want workerclient.Health) {
	t.Helper()
	ceiling := time.After(realCeiling)
	for c.Health() != want {
		select {
		case <-changes:
		case <-ceiling:
			t.Fatalf("worker health still %v after %v, want %v", c.Health(), realCeiling, want)
		}
	}
}

func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", rec.Body, err)
	}
	if body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("error %+v, want code %q and a message", body.Error, code)
	}
}
