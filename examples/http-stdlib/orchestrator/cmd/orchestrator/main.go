// Command orchestrator serves the HTTP API and has the Rust worker do the scoring over gRPC.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"example.com/http-stdlib/orchestrator/internal/config"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
	"example.com/http-stdlib/orchestrator/internal/server"
	"example.com/http-stdlib/orchestrator/internal/workerclient"
)

func main() {
	var level slog.LevelVar
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: &level}))
	slog.SetDefault(logger)
	workerclient.RouteGRPCLogs(logger)
	if err := run(logger, &level); err != nil {
		logger.Error("orchestrator failed", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger, level *slog.LevelVar) error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	level.Set(cfg.LogLevel)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Once shutdown has begun, a second signal kills the process the default way,
	// for when a drain hangs and someone at a terminal wants out.
	context.AfterFunc(ctx, stop)

	worker, err := workerclient.New(cfg.WorkerAddr, workerclient.Options{CallTimeout: cfg.RequestTimeout, Logger: logger})
	if err != nil {
		return err
	}
	// Deferred before anything that uses it, so it closes last: requests still draining need it.
	defer worker.Close()
	watchCtx, stopWatching := context.WithCancel(ctx)
	var watcher sync.WaitGroup
	watcher.Go(func() { worker.WatchHealth(watchCtx) })
	defer func() {
		stopWatching()
		watcher.Wait()
	}()

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.ListenAddr, err)
	}
	api := httpapi.New(httpapi.Config{Worker: worker, MaxBodyBytes: cfg.MaxBodyBytes, Logger: logger})
	logger.Info("starting", "worker_addr", cfg.WorkerAddr, "request_timeout", cfg.RequestTimeout.String())
	return server.Run(ctx, ln, api, server.Options{
		// Room past the worker deadline for reading the body and writing a 504.
		WriteTimeout:    cfg.RequestTimeout + 5*time.Second,
		ShutdownTimeout: cfg.ShutdownTimeout,
	}, logger)
}
