package main

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestStopSignalsSecondSIGTERMChangesNothing runs itself as a child that waits on
// stopSignals, drains for a moment and exits 0: SIGINT (the terminal's Ctrl-C, which reaches
// every process of make run) and then SIGTERM (make run stopping each service) must still
// end in exit 0, not in death by the second signal (143).
func TestStopSignalsSecondSIGTERMChangesNothing(t *testing.T) {
	if os.Getenv("STOP_SIGNALS_CHILD") == "1" {
		ctx, stop := stopSignals()
		defer stop()
		os.Stdout.WriteString("waiting\n")
		<-ctx.Done()
		time.Sleep(500 * time.Millisecond) // the drain, during which SIGTERM arrives
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStopSignalsSecondSIGTERMChangesNothing$")
	cmd.Env = append(os.Environ(), "STOP_SIGNALS_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "waiting\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("child ended with %v after SIGINT then SIGTERM, want exit 0", err)
	}
}

// A service told to stop has not failed: SIGTERM while start-up still waits on something
// (here, an AWS endpoint that takes the connection and never answers) makes run return nil,
// for an exit status of 0, not the cut-short call's "context canceled".
func TestRunToldToStopDuringStartUpReturnsNil(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		var held []net.Conn // read nothing, answer nothing
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("LISTEN_ADDR", free.Addr().String())
	free.Close()
	t.Setenv("WORKER_SCORER_ADDR", silent.Addr().String())
	t.Setenv("AWS_ENDPOINT_URL", "http://"+silent.Addr().String())
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("OTEL_SDK_DISABLED", "true")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		var level slog.LevelVar
		done <- run(ctx, slog.New(slog.DiscardHandler), &level)
	}()
	select {
	case <-accepted: // start-up is waiting on the AWS endpoint now
	case err := <-done:
		t.Fatalf("run returned %v before calling AWS", err)
	case <-time.After(20 * time.Second):
		t.Fatal("start-up never called the AWS endpoint")
	}
	cancel() // as SIGTERM does, through signal.NotifyContext
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run() = %v after being told to stop, want nil (exit 0)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return within 30s of being told to stop")
	}
}
