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
	// WriteTimeout bounds a whole request, so it must exceed the slowest worker call.
	WriteTimeout time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests after ctx is done.
	ShutdownTimeout time.Duration
}

// Run serves h on ln until ctx is done, then stops accepting connections and waits up to
// ShutdownTimeout for in-flight requests. It returns nil after a clean drain.
func Run(ctx context.Context, ln net.Listener, h http.Handler, opts Options, logger *slog.Logger) error {
	srv := &http.Server{
		Handler: h,
		// Slow or idle clients must not pin connections and goroutines indefinitely.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
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

	logger.Info("shutting down", "timeout", opts.ShutdownTimeout.String())
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
