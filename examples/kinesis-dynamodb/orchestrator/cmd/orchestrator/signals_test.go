package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopSignals holds stopSignals to its rule: the first SIGTERM or SIGINT starts the drain, a
// later SIGINT exits at once with interruptedExit, and a later SIGTERM lets the drain finish
// (exit 0). It runs itself as a child that waits on stopSignals, says when it drains, and drains
// until its stdin closes: a second signal always lands in the drain however slowly either
// process is scheduled, and a drain that must finish is only let finish once the child has said
// it took the second SIGTERM, so no case passes by the child exiting before the signal arrives.
func TestStopSignals(t *testing.T) {
	if os.Getenv("STOP_SIGNALS_CHILD") == "1" {
		ctx := stopSignals()
		os.Stdout.WriteString("waiting\n")
		<-ctx.Done()
		os.Stdout.WriteString("draining\n")
		_, _ = io.Copy(io.Discard, os.Stdin) // the drain, during which the second signal arrives
		os.Exit(0)
	}
	for _, tc := range []struct {
		name          string
		first, second os.Signal
		// ignoringINT starts the child with SIGINT ignored, as a non-interactive shell starts
		// a background job: SIGINT's default action is then to stay ignored.
		ignoringINT bool
		want        int
	}{
		{name: "TERM then TERM drains", first: syscall.SIGTERM, second: syscall.SIGTERM, want: 0},
		{name: "INT then TERM drains", first: os.Interrupt, second: syscall.SIGTERM, want: 0},
		{name: "INT then INT exits at once", first: os.Interrupt, second: os.Interrupt, want: interruptedExit},
		{name: "TERM then INT exits at once", first: syscall.SIGTERM, second: os.Interrupt, want: interruptedExit},
		{name: "INT then INT exits at once when started ignoring SIGINT", first: os.Interrupt, second: os.Interrupt, ignoringINT: true, want: interruptedExit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			child := startSignalsChild(t, tc.ignoringINT)
			child.expect("waiting")
			child.signal(tc.first)
			child.expect("draining")
			child.signal(tc.second)
			if tc.want == 0 {
				child.awaitLog("SIGTERM again: the same request to stop; still draining")
				child.endDrain()
			}
			if code := child.wait(); code != tc.want {
				t.Errorf("child exited %d after %v then %v, want %d", code, tc.first, tc.second, tc.want)
			}
		})
	}
}

// signalsChild is TestStopSignals run as a child process: its stdout lines, its log lines
// (stderr), and its stdin, whose closing ends its drain.
type signalsChild struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout *bufio.Reader
	logs   <-chan string
	drain  io.Closer
}

func startSignalsChild(t *testing.T, ignoringINT bool) *signalsChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStopSignals$")
	if ignoringINT {
		// An ignored signal stays ignored across exec.
		cmd = exec.Command("sh", "-c", `trap '' INT; exec "$0" "$@"`, os.Args[0], "-test.run=^TestStopSignals$")
	}
	cmd.Env = append(os.Environ(), "STOP_SIGNALS_CHILD=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
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
	// Bounds only a test that is already failing (a child that never exits).
	watchdog := time.AfterFunc(realCeiling, func() { _ = cmd.Process.Kill() })
	t.Cleanup(func() {
		watchdog.Stop()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	logs := make(chan string, 16)
	go func() {
		defer close(logs)
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			logs <- lines.Text()
		}
	}()
	return &signalsChild{t: t, cmd: cmd, stdout: bufio.NewReader(stdout), logs: logs, drain: drain}
}

func (c *signalsChild) expect(want string) {
	c.t.Helper()
	if line, err := c.stdout.ReadString('\n'); err != nil || line != want+"\n" {
		c.t.Fatalf("child said %q, %v; want %q", line, err, want)
	}
}

func (c *signalsChild) signal(sig os.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
}

// awaitLog waits for a log line containing msg.
func (c *signalsChild) awaitLog(msg string) {
	c.t.Helper()
	var seen []string
	for line := range c.logs {
		if strings.Contains(line, msg) {
			return
		}
		seen = append(seen, line)
	}
	c.t.Fatalf("child exited or closed stderr without logging %q; it logged:\n%s", msg, strings.Join(seen, "\n"))
}

func (c *signalsChild) endDrain() {
	c.t.Helper()
	if err := c.drain.Close(); err != nil {
		c.t.Fatal(err)
	}
}

// wait returns the child's exit code; -1 if a signal killed it.
func (c *signalsChild) wait() int {
	c.t.Helper()
	for range c.logs { // read to EOF before Wait, which closes the pipe
	}
	var exited *exec.ExitError
	if err := c.cmd.Wait(); err != nil && !errors.As(err, &exited) {
		c.t.Fatal(err)
	}
	return c.cmd.ProcessState.ExitCode()
}
