package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestRunDrainsInFlightRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
	opts := Options{WriteTimeout: 5 * time.Second, ShutdownTimeout: 5 * time.Second}
	go func() { ran <- Run(ctx, ln, h, opts, slog.New(slog.DiscardHandler)) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()

	<-started
	cancel() // As SIGTERM would, while a request is in flight.
	select {
	case err := <-ran:
		t.Fatalf("Run returned %v before the in-flight request finished", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)

	if r := <-got; r.err != nil || r.body != "done" {
		t.Errorf("in-flight request: body %q, error %v; want it to complete", r.body, r.err)
	}
	if err := <-ran; err != nil {
		t.Errorf("Run() = %v, want nil after a clean drain", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still accepts connections after shutdown")
	}
}

func TestRunGivesUpAfterShutdownTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // Stuck until the server cuts the connection.
	})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	opts := Options{WriteTimeout: 5 * time.Second, ShutdownTimeout: 50 * time.Millisecond}
	go func() { ran <- Run(ctx, ln, h, opts, slog.New(slog.DiscardHandler)) }()

	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String()); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case err := <-ran:
		if err == nil {
			t.Error("Run() = nil, want an error when requests outlive the shutdown timeout")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not give up after its shutdown timeout")
	}
}

// SIGTERM and the pod's removal from its Service's endpoints happen together, and balancers
// keep sending for seconds: through DrainDelay a new connection is still served, and only
// then does the listener close and the drain begin.
func TestRunServesNewRequestsThroughTheDrainDelay(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const delay = 500 * time.Millisecond
	ran := make(chan error, 1)
	opts := Options{WriteTimeout: 5 * time.Second, DrainDelay: delay, ShutdownTimeout: 5 * time.Second}
	go func() { ran <- Run(ctx, ln, h, opts, slog.New(slog.DiscardHandler)) }()

	url := "http://" + ln.Addr().String()
	if resp, err := http.Get(url); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	cancel() // As SIGTERM would.
	stopped := time.Now()
	time.Sleep(delay / 5)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("a request %v into the drain delay: %v, want it served", time.Since(stopped), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("during the delay: status %d, Connection: close %v; want 200, closing the connection", resp.StatusCode, resp.Close)
	}
	if err := <-ran; err != nil {
		t.Errorf("Run() = %v, want nil after a clean drain", err)
	}
	if took := time.Since(stopped); took < delay {
		t.Errorf("Run returned %v after ctx was done, before the %v drain delay", took, delay)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still accepts connections after shutdown")
	}
}

// albIdleTimeout is AWS Application Load Balancer's default idle timeout, the usual
// balancer in front of the API; the server closing an idle connection first races its next request.
const albIdleTimeout = 60 * time.Second

func TestIdleTimeoutOutlastsTheLoadBalancers(t *testing.T) {
	if idleTimeout <= albIdleTimeout {
		t.Errorf("idleTimeout %v, want more than the ALB's %v", idleTimeout, albIdleTimeout)
	}
}
