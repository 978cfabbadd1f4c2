package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/test/bufconn"
)

// The server's timing is tested in a synctest bubble over in-memory connections: its clock
// moves only when every goroutine waits, so "within the delay" and "after the timeout" are
// exact instead of margins a loaded machine can overrun.

// connBuffer is each in-memory connection's buffer, a socket's worth. bufconn blocks on a
// sync.Cond, which a synctest bubble counts as durably blocked, so its clock moves while
// the server and client wait on each other; a blocked read on a real socket does not.
const connBuffer = 64 << 10

// httpClient is an HTTP client whose connections go to ln.
func httpClient(ln *bufconn.Listener) *http.Client {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) { return ln.DialContext(ctx) }
	return &http.Client{Transport: &http.Transport{DialContext: dial}}
}

// get fetches url through c and reads the answer.
func get(c *http.Client) (*http.Response, string, error) {
	resp, err := c.Get("http://pipe/")
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestRunDrainsInFlightRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := bufconn.Listen(connBuffer)
		client := httpClient(ln)
		defer client.CloseIdleConnections()
		started := make(chan struct{})
		release := make(chan struct{})
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			close(started)
			<-release
			_, _ = io.WriteString(w, "done")
		})

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ran := make(chan error, 1)
		const shutdownTimeout = 5 * time.Second
		opts := Options{WriteTimeout: time.Minute, ShutdownTimeout: shutdownTimeout}
		go func() { ran <- Run(ctx, ln, h, opts, slog.New(slog.DiscardHandler)) }()

		type result struct {
			body string
			err  error
		}
		got := make(chan result, 1)
		go func() {
			_, body, err := get(client)
			got <- result{body, err}
		}()

		<-started
		cancel() // As SIGTERM would, while a request is in flight.
		// Well into the shutdown timeout, Run still waits for the request. Not its last
		// moment: Shutdown polls for idle connections at up to 500 ms.
		time.Sleep(shutdownTimeout / 2)
		select {
		case err := <-ran:
			close(release) // so the bubble's goroutines can end
			t.Fatalf("Run returned %v before the in-flight request finished", err)
		default:
		}
		close(release)

		if r := <-got; r.err != nil || r.body != "done" {
			t.Errorf("in-flight request: body %q, error %v; want it to complete", r.body, r.err)
		}
		if err := <-ran; err != nil {
			t.Errorf("Run() = %v, want nil after a clean drain", err)
		}
		if _, err := ln.DialContext(ctx); err == nil {
			t.Error("listener still accepts connections after shutdown")
		}
	})
}

func TestRunGivesUpAfterShutdownTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := bufconn.Listen(connBuffer)
		client := httpClient(ln)
		defer client.CloseIdleConnections()
		started := make(chan struct{})
		h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			close(started)
			<-r.Context().Done() // Stuck until the server cuts the connection.
		})
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		const shutdownTimeout = 5 * time.Second
		opts := Options{WriteTimeout: time.Minute, ShutdownTimeout: shutdownTimeout}
		go func() { ran <- Run(ctx, ln, h, opts, slog.New(slog.DiscardHandler)) }()

		asked := make(chan struct{})
		go func() {
			defer close(asked)
			_, _, _ = get(client)
		}()
		<-started
		cancel()
		stopped := time.Now()
		err := <-ran
		if err == nil {
			t.Error("Run() = nil, want an error when requests outlive the shutdown timeout")
		}
		// Shutdown polls at up to 500 ms, so it notices the timeout within one poll of it.
		if took := time.Since(stopped); took < shutdownTimeout || took > shutdownTimeout+time.Second {
			t.Errorf("Run gave up %v after ctx was done, want at its %v shutdown timeout", took, shutdownTimeout)
		}
		<-asked
	})
}

// SIGTERM and the pod's removal from its Service's endpoints happen together, and balancers
// keep sending for seconds: through DrainDelay a new connection is still served, and only
// then does the listener close and the drain begin.
func TestRunServesNewRequestsThroughTheDrainDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := bufconn.Listen(connBuffer)
		client := httpClient(ln)
		defer client.CloseIdleConnections()
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		const delay = 5 * time.Second
		ran := make(chan error, 1)
		opts := Options{WriteTimeout: time.Minute, DrainDelay: delay, ShutdownTimeout: 5 * time.Second}
		go func() { ran <- Run(ctx, ln, h, opts, slog.New(slog.DiscardHandler)) }()

		if _, _, err := get(client); err != nil {
			t.Fatal(err)
		}
		cancel() // As SIGTERM would.
		stopped := time.Now()
		// The last moment of the delay: a new connection is still accepted and served.
		time.Sleep(delay - time.Nanosecond)
		resp, body, err := get(client)
		if err != nil || body != "ok" {
			t.Fatalf("a request %v into the drain delay: %q, %v; want it served", time.Since(stopped), body, err)
		}
		if resp.StatusCode != http.StatusOK || !resp.Close {
			t.Errorf("during the delay: status %d, Connection: close %v; want 200, closing the connection", resp.StatusCode, resp.Close)
		}
		if err := <-ran; err != nil {
			t.Errorf("Run() = %v, want nil after a clean drain", err)
		}
		if took := time.Since(stopped); took != delay {
			t.Errorf("Run returned %v after ctx was done, want at the end of the %v drain delay", took, delay)
		}
		if _, err := ln.DialContext(ctx); err == nil {
			t.Error("listener still accepts connections after shutdown")
		}
	})
}

// albIdleTimeout is AWS Application Load Balancer's default idle timeout, the usual
// balancer in front of the API; the server closing an idle connection first races its next request.
const albIdleTimeout = 60 * time.Second

func TestIdleTimeoutOutlastsTheLoadBalancers(t *testing.T) {
	if idleTimeout <= albIdleTimeout {
		t.Errorf("idleTimeout %v, want more than the ALB's %v", idleTimeout, albIdleTimeout)
	}
}
