// Package server runs the HTTP server and drains it gracefully on shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// idleTimeout is how long a keep-alive connection may sit idle before the server closes it.
// It outlasts the idle timeout of the load balancers that pool connections to backends, so
// the balancer, never the server, closes an idle one: a server that closes first races the
// balancer's next request on that connection, which its client gets as a 502. AWS ALB's
// default is 60 s and its docs ask targets for a longer keep-alive (docs.aws.amazon.com,
// "Application Load Balancers", Connection idle timeout); ingress-nginx's upstream keep-alive
// is 60 s. Behind a balancer set longer (GCP's external Application Load Balancer keeps
// backend connections 600 s), raise this past it.
const idleTimeout = 120 * time.Second

// Options are the server's timeouts.
type Options struct {
	// ReadTimeout bounds reading a whole request, its body included; zero for none, for a
	// handler that sets each request's read deadline itself (as the API does, from the body's
	// declared length) after the headers' fixed ReadHeaderTimeout.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from its headers' arrival to the end of its answer, unless
	// the handler moves its write deadline; it must exceed the slowest worker call.
	WriteTimeout time.Duration
	// DrainDelay is how long the server goes on accepting and serving after ctx is done,
	// before it stops accepting. Kubernetes takes a terminating pod out of its Service's
	// endpoints as it sends SIGTERM, and kube-proxy and ingress controllers take seconds to
	// follow: connections still arrive meanwhile, and a closed listener would refuse them.
	// Whatever reports readiness should fail from ctx's end on, so balancers that probe it
	// stop sending too.
	DrainDelay time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests after DrainDelay.
	ShutdownTimeout time.Duration
}

// opsTimeout bounds each request to the health and metrics endpoints, reading and answering
// alike: a probe or scrape sends no body and its answer is small, so only a stalled client
// takes longer.
const opsTimeout = 10 * time.Second

// OpsOptions are the Options of a server of the health and metrics endpoints alone, which
// stops within stop.
func OpsOptions(stop time.Duration) Options {
	return Options{ReadTimeout: opsTimeout, WriteTimeout: opsTimeout, ShutdownTimeout: stop}
}

// Run serves h on ln until ctx is done, serves on for DrainDelay, then stops accepting
// connections and waits up to ShutdownTimeout for in-flight requests. It returns nil after a
// clean drain.
func Run(ctx context.Context, ln net.Listener, h http.Handler, opts Options, logger *slog.Logger) error {
	srv := &http.Server{
		Handler: h,
		// Slow or idle clients must not pin connections and goroutines indefinitely.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      opts.WriteTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}

	if opts.DrainDelay > 0 {
		logger.Info("draining: serving on while load balancers stop sending", "delay", opts.DrainDelay.String())
		// Each answer from now on closes its connection, so keep-alive clients reconnect
		// through the balancer, which sends them to another replica once it has caught up.
		srv.SetKeepAlivesEnabled(false)
		select {
		case err := <-served:
			return fmt.Errorf("serving HTTP: %w", err)
		case <-time.After(opts.DrainDelay):
		}
	}

	// This server's own drain bound: the ops server's is a second, not SHUTDOWN_TIMEOUT.
	logger.Info("shutting down", "drain_timeout", opts.ShutdownTimeout.String())
	// ctx is already done, so the drain needs a deadline of its own.
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		_ = srv.Close() // Cut off what did not finish in time.
		return fmt.Errorf("draining HTTP requests: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving HTTP: %w", err)
	}
	logger.Info("shutdown complete")
	return nil
}
