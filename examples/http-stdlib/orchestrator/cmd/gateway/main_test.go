package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"google.golang.org/grpc/test/bufconn"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/config"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
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

// The gateway's server has the orchestrator's bounds: a body that stops arriving is cut off
// at the deadline the API would give it (httpapi.BodyReadAllowance plus its length at
// MinBodyBytesPerSecond), where a server with only a ReadHeaderTimeout waits for ever. On
// synctest's clock over in-memory connections, so the deadline is exact, whatever the load.
func TestServerHasTheAPIsBounds(t *testing.T) {
	// Made outside the bubble: the connection is never used, no call gets past its body.
	conn, err := grpc.NewClient("passthrough:///unused", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	h, err := newHandler(conn)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(nil) // the defaults, as the orchestrator's own
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		ln := bufconn.Listen(64 << 10)
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- serve(ctx, ln, h, cfg, slog.New(slog.DiscardHandler)) }()
		defer func() {
			cancel()
			<-served
		}()

		c, err := ln.DialContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		const declared = 1 << 20 // one second at MinBodyBytesPerSecond
		start := time.Now()
		fmt.Fprintf(c, "POST /v1/score HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"id\":", declared)
		answered := make(chan time.Duration, 1)
		go func() {
			// An answer or the connection closed: either way the server let go of it.
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			answered <- time.Since(start)
		}()
		want := httpapi.BodyReadAllowance + time.Second
		select {
		case took := <-answered:
			if took < want {
				t.Errorf("the stalled body was cut off after %v, before its deadline %v", took, want)
			}
		case <-time.After(want + time.Minute):
			c.Close()
			<-answered
			t.Errorf("a body that stopped arriving held its connection past %v; want it cut off at %v, as the API's server does", want+time.Minute, want)
		}
	})
}
