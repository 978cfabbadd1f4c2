package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/sqs-dynamodb/orchestrator/internal/synthetic"
)

// A rerun against the same emulator must send ids the first run did not, and leave its own
// prefix where verify looks, before it sends anything.
func TestEveryRunRecordsANewPrefix(t *testing.T) {
	runFile := filepath.Join(t.TempDir(), "synthetic-prefix")
	now := time.Now()
	first, err := startRun("", runFile, now)
	if err != nil {
		t.Fatal(err)
	}
	second, err := startRun("", runFile, now)
	if err != nil {
		t.Fatal(err)
	}
	if first == second || !strings.HasPrefix(second, "synthetic-") {
		t.Fatalf("runs got prefixes %q and %q, want two distinct synthetic- prefixes", first, second)
	}
	if got, err := synthetic.Recorded(runFile); err != nil || got != second {
		t.Fatalf("recorded %q, %v; want the last run's %q", got, err, second)
	}
	if got, err := startRun("mine-", runFile, now); err != nil || got != "mine-" {
		t.Fatalf("startRun with -prefix mine- = %q, %v", got, err)
	}
	if got, _ := synthetic.Recorded(runFile); got != "mine-" {
		t.Fatalf("recorded %q, want the given -prefix", got)
	}
}

// TestBadInputExitsTwoOnOneLine runs main in a child process (this test binary again) for each bad input: make and the
// scripts read its exit status, so bad input must exit 2, on one line and no usage after it.
func TestBadInputExitsTwoOnOneLine(t *testing.T) {
	if os.Getenv("BAD_INPUT_MAIN") == "1" {
		os.Args = append([]string{"produce"}, strings.Fields(os.Getenv("BAD_INPUT_ARGS"))...)
		main()
		return
	}
	for _, c := range []struct{ args, env, want string }{
		{"-count 99999999999999999999", "", "want a whole number from 0 to " + strconv.Itoa(synthetic.MaxCount)},
		{"-count " + strconv.Itoa(synthetic.MaxCount+1), "", "want a whole number from 0 to"},
		{"-count 1", "LOG_LEVEL=loud", "LOG_LEVEL=\"loud\""},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$")
		cmd.Env = append(os.Environ(), "BAD_INPUT_MAIN=1", "BAD_INPUT_ARGS="+c.args, c.env)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("%s %s: %v, want exit status 2 (%s)", c.env, c.args, err, stderr.String())
		}
		if lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n"); len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("%s %s: stderr %q, want one line containing %q", c.env, c.args, stderr.String(), c.want)
		}
	}
}
