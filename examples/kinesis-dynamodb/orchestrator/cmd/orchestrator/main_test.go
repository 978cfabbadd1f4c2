package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestStopSignalsSecondSIGTERMChangesNothing runs itself as a child that waits on
// stopSignals, drains until told and exits 0: SIGINT (the terminal's Ctrl-C, which reaches
// every process of make run) and then SIGTERM (make run stopping each service) must still
// end in exit 0, not in death by the second signal (143). The child says when it drains and
// drains until its stdin closes, so SIGTERM lands in the drain however slow either process
// is scheduled: with a fixed drain, a stalled parent's SIGTERM reached a child that had
// already exited, and the test passed having proved nothing.
func TestStopSignalsSecondSIGTERMChangesNothing(t *testing.T) {
	if os.Getenv("STOP_SIGNALS_CHILD") == "1" {
		ctx, stop := stopSignals()
		defer stop()
		os.Stdout.WriteString("waiting\n")
		<-ctx.Done()
		os.Stdout.WriteString("draining\n")
		_, _ = io.Copy(io.Discard, os.Stdin) // the drain, during which SIGTERM arrives
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStopSignalsSecondSIGTERMChangesNothing$")
	cmd.Env = append(os.Environ(), "STOP_SIGNALS_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	drain, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	said := bufio.NewReader(out)
	expect := func(want string) {
		t.Helper()
		if line, err := said.ReadString('\n'); err != nil || line != want {
			_ = cmd.Process.Kill()
			t.Fatalf("child said %q, %v; want %q", line, err, want)
		}
	}
	expect("waiting\n")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	expect("draining\n")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	drain.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("child ended with %v after SIGINT then SIGTERM, want exit 0", err)
	}
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
const realCeiling = time.Minute

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
	returned := make(chan error, 1)
	go func() {
		var level slog.LevelVar
		returned <- run(ctx, slog.New(logs), &level)
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
