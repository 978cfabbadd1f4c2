package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBadInputExitsTwoOnOneLine runs main in a child process (this test binary again) for each bad input: make and the
// scripts read its exit status, so bad input must exit 2, on one line and no usage after it.
func TestBadInputExitsTwoOnOneLine(t *testing.T) {
	if os.Getenv("BAD_INPUT_MAIN") == "1" {
		os.Args = append([]string{"bootstrap"}, strings.Fields(os.Getenv("BAD_INPUT_ARGS"))...)
		main()
		return
	}
	for _, c := range []struct{ args, env, want string }{
		{"", "LOG_LEVEL=loud", "LOG_LEVEL=\"loud\""},
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
