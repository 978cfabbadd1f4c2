package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"example.com/kinesis-dynamodb/orchestrator/internal/config"
	"example.com/kinesis-dynamodb/orchestrator/internal/hangwatch"
)

// loadConfig is the settings the test set with t.Setenv, loaded as main loads them.
func loadConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Load(os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// silentPeer listens on loopback and takes every connection without reading or answering,
// like a peer that hangs; accepted receives once a connection is taken.
func silentPeer(t *testing.T) (addr string, accepted <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	taken := make(chan struct{}, 1)
	go func() {
		var held []net.Conn // read nothing, answer nothing
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
			select {
			case taken <- struct{}{}:
			default:
			}
		}
	}()
	return l.Addr().String(), taken
}

// realCeiling bounds, on the real clock, the waits of the tests that run the orchestrator
// over real sockets and gRPC, which no synctest bubble can host (a goroutine blocked on a
// socket never lets the bubble's clock move). Each waits for an event (a fact the code logs
// once it holds, a call's answer), so this bounds only a test that is already failing:
// generous, so that a loaded machine never reaches it.
const realCeiling = hangwatch.Ceiling

// logSignal is a log handler that signals each record match accepts. Signals coalesce (a
// buffer of one): a waiter re-reads the state it waits on whenever woken.
type logSignal struct {
	match func(slog.Record) bool
	ch    chan struct{}
}

func onLog(match func(slog.Record) bool) logSignal {
	return logSignal{match: match, ch: make(chan struct{}, 1)}
}

func (s logSignal) Enabled(context.Context, slog.Level) bool { return true }

func (s logSignal) Handle(_ context.Context, r slog.Record) error {
	if s.match(r) {
		select {
		case s.ch <- struct{}{}:
		default:
		}
	}
	return nil
}

func (s logSignal) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s logSignal) WithGroup(string) slog.Handler      { return s }

// startRun starts run on a free LISTEN_ADDR, with every worker at workerAddr and tracing
// off; done receives what run returns.
func startRun(ctx context.Context, t *testing.T, workerAddr string, logs slog.Handler) (done <-chan error) {
	t.Helper()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("LISTEN_ADDR", free.Addr().String())
	free.Close()
	t.Setenv("WORKER_SCORER_ADDR", workerAddr)
	t.Setenv("OTEL_SDK_DISABLED", "true")
	cfg := loadConfig(t)
	returned := make(chan error, 1)
	go func() {
		var level slog.LevelVar
		returned <- run(ctx, cfg, slog.New(logs), &level)
	}()
	return returned
}

// stopRun tells run to stop as SIGTERM does, through signal.NotifyContext's cancel: a
// service told to stop has not failed, so run must return nil, for an exit status of 0.
func stopRun(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run() = %v after being told to stop, want nil (exit 0)", err)
		}
	case <-time.After(realCeiling):
		t.Fatalf("run did not return within %v of being told to stop", realCeiling)
	}
}
