package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
)

// echoWorker answers with the request's id, so a test sees the body made it through.
type echoWorker struct {
	scoringv1.UnimplementedScoringServiceServer
}

func (echoWorker) Score(_ context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	return &scoringv1.ScoreResponse{Id: req.GetId(), Score: 0.5}, nil
}

func (echoWorker) ScoreBatch(_ context.Context, req *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	res := &scoringv1.ScoreBatchResponse{}
	for _, r := range req.GetRequests() {
		res.Responses = append(res.Responses, &scoringv1.ScoreResponse{Id: r.GetId(), Score: 0.5})
	}
	return res, nil
}

// TestRoutes drives the generated proxy over a real gRPC connection on the routes that
// routes.yaml maps, the orchestrator's own paths, which `make bench` sends to both.
func TestRoutes(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	scoringv1.RegisterScoringServiceServer(srv, echoWorker{})
	healthpb.RegisterHealthServer(srv, health.NewServer()) // "" is SERVING
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	h, err := newHandler(conn)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct{ method, path, body, want string }{
		{http.MethodPost, "/v1/score", `{"id":"a","numericFeatures":{"amount":3}}`, `"id":"a"`},
		{http.MethodPost, "/v1/score/batch", `{"requests":[{"id":"b"},{"id":"c"}]}`, `"id":"c"`},
		{http.MethodGet, "/readyz", ``, `SERVING`},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader(c.body)))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), c.want) || !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s %s = %d %s, want 200 with %s", c.method, c.path, rec.Code, rec.Body, c.want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/unknown", strings.NewReader(`{}`)))
	if rec.Code != http.StatusNotFound {
		t.Errorf("POST /v1/unknown = %d, want 404", rec.Code)
	}
}
