package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/httpapi"
	"example.com/http-chi/orchestrator/internal/workerclient"
)

// The API as cmd/orchestrator serves it (no ReadTimeout; the API paces each body), at the
// shipped rate and allowance, in a synctest bubble: a body that takes half a minute to
// arrive costs no real time.

// slowWorker answers every call after delay, unless the call's context ends first.
type slowWorker struct{ delay time.Duration }

func (s slowWorker) Score(ctx context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	select {
	case <-time.After(s.delay):
		return &scoringv1.ScoreResponse{Id: req.GetId()}, nil
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

func (s slowWorker) ScoreBatch(ctx context.Context, req *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	resp := &scoringv1.ScoreBatchResponse{}
	for _, r := range req.GetRequests() {
		one, err := s.Score(ctx, r)
		if err != nil {
			return nil, err
		}
		resp.Responses = append(resp.Responses, one)
		s.delay = 0 // One delay per call.
	}
	return resp, nil
}

func (slowWorker) Health() workerclient.Health { return workerclient.HealthServing }

// serveAPI serves the API in front of worker on ln until the test ends, with the options
// cmd/orchestrator gives it.
func serveAPI(t *testing.T, ln *bufconn.Listener, requestTimeout time.Duration, worker httpapi.Worker) {
	logger := slog.New(slog.DiscardHandler)
	api := httpapi.New(httpapi.Config{
		Workers:        []httpapi.NamedWorker{{Name: "scorer", Worker: worker}},
		RequestTimeout: requestTimeout,
		Logger:         logger,
	})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() {
		ran <- Run(ctx, ln, api, Options{WriteTimeout: httpapi.WriteTimeout(requestTimeout), ShutdownTimeout: time.Second}, logger)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// batchBody is a valid one-request batch padded with whitespace to size bytes.
func batchBody(size int) string {
	head, tail := `{"requests":[{"id":"slow"}]`, "}"
	return head + strings.Repeat(" ", size-len(head)-len(tail)) + tail
}

// upload sends a POST of body to the batch route at bytesPerSecond, in 64 KiB pieces, and
// stops after sending stopAfter bytes of it (len(body) for all); then it reads the answer.
func upload(t *testing.T, ln *bufconn.Listener, body string, bytesPerSecond, stopAfter int) (*http.Response, []byte) {
	t.Helper()
	conn, err := ln.DialContext(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /v1/score/batch HTTP/1.1\r\nHost: pipe\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	const piece = 64 << 10
	for sent := 0; sent < stopAfter; sent += piece {
		time.Sleep(time.Duration(piece) * time.Second / time.Duration(bytesPerSecond))
		if _, err := io.WriteString(conn, body[sent:min(sent+piece, stopAfter)]); err != nil {
			t.Fatalf("sending the body, %d bytes in: %v", sent, err)
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}
	return resp, b
}

// steadyRate is a client a little faster than the rate the API waits for.
const steadyRate = httpapi.MinBodyBytesPerSecond * 5 / 4

// A client at the rate the API waits for sends a body larger than that rate covers in the
// allowance alone (a fixed 10 s ReadTimeout, before bodies were paced, answered 408).
func TestASteadyClientSendsABodyLongerThanTheAllowance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := bufconn.Listen(connBuffer)
		serveAPI(t, ln, 2*time.Second, slowWorker{})
		body := batchBody(16 << 20)
		start := time.Now()
		resp, got := upload(t, ln, body, steadyRate, len(body))
		if took := time.Since(start); took <= httpapi.BodyReadAllowance {
			t.Fatalf("the upload took %v, no longer than the allowance %v: the test proves nothing", took, httpapi.BodyReadAllowance)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200; body %s", resp.StatusCode, got)
		}
	})
}

// A client that stops sending is cut off at its body's deadline, no sooner, with a 408.
func TestAStalledBodyIs408AtItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := bufconn.Listen(connBuffer)
		serveAPI(t, ln, 2*time.Second, slowWorker{})
		body := batchBody(16 << 20)
		start := time.Now()
		resp, got := upload(t, ln, body, steadyRate, 1<<20)
		took := time.Since(start)
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(got, &e)
		if resp.StatusCode != http.StatusRequestTimeout || e.Error.Code != "request_timeout" {
			t.Fatalf("status %d, code %q; want 408 request_timeout; body %s", resp.StatusCode, e.Error.Code, got)
		}
		want := httpapi.BodyReadAllowance + 16*time.Second // 16 MiB at 1 MiB/s.
		if took < want || took > want+time.Second {
			t.Errorf("answered after %v, want the body's deadline, %v", took, want)
		}
	})
}

// However long the body took, the worker call still gets all of REQUEST_TIMEOUT: neither the
// body's read deadline (passing mid-call) nor a write deadline counted from the headers
// (REQUEST_TIMEOUT plus the answer allowance) cuts it off.
func TestAWorkerCallAfterASlowBodyGetsItsWholeTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := bufconn.Listen(connBuffer)
		// 28 MiB take 22.4 s at steadyRate, and the call 29 s more: past the body's read
		// deadline (38 s) and REQUEST_TIMEOUT plus the answer allowance (50 s).
		const requestTimeout = 30 * time.Second
		serveAPI(t, ln, requestTimeout, slowWorker{delay: requestTimeout - time.Second})
		body := batchBody(28 << 20)
		start := time.Now()
		resp, got := upload(t, ln, body, steadyRate, len(body))
		if took, since := time.Since(start), httpapi.WriteTimeout(requestTimeout); took <= since {
			t.Fatalf("answered after %v, within %v of the headers: the test proves nothing", took, since)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200; body %s", resp.StatusCode, got)
		}
	})
}
