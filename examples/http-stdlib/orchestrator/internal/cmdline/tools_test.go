package cmdline_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"example.com/http-stdlib/orchestrator/internal/hangwatch"
	"example.com/http-stdlib/orchestrator/internal/validation"
)

// badInput is one bad command line of a tool, environment variables (NAME=value), and what
// its one line must contain.
type badInput struct {
	args []string
	env  []string
	want string
}

// The commands under cmd/ that are services, started with settings and no command line. Each
// case runs them listening on a port free when the test began (beneath the case's own
// environment): should one start anyway, it binds that rather than a developer's port, and the
// case's time bound stops it.
var services = map[string]bool{"orchestrator": true, "gateway": true}

// badSetting is a setting every command that reads the orchestrator's settings refuses, and the
// words it refuses it with.
const badSetting = `invalid configuration: LOG_LEVEL="loud": want debug, info, warn or error`

// TestEveryToolRefusesBadInputOnOneLineWithExitTwo builds every command under cmd/, services
// included, and runs each with bad input, as make and the scripts do: each must exit 2 with one
// line naming the argument, flag, value or setting and what is allowed, never flag's usage dump
// after it nor exit 1, and none may start the work it was not asked for (a service that starts
// its server on a stray argument runs into the time bound). A command added without cases here
// fails it.
func TestEveryToolRefusesBadInputOnOneLineWithExitTwo(t *testing.T) {
	overBatch := strconv.Itoa(validation.MaxBatchSize + 1)
	cases := map[string][]badInput{
		"orchestrator": {
			{args: []string{"foo"}, want: `orchestrator: unexpected argument "foo"`},
			{args: []string{"-listen", ":1"}, want: "orchestrator: flag provided but not defined: -listen"},
			{env: []string{"LOG_LEVEL=loud"}, want: "orchestrator: " + badSetting},
		},
		// Every preset's.
		"loadgen": {
			{args: []string{"-runs", "0"}, want: `loadgen: invalid value "0" for flag -runs: want a whole number 1 or more`},
			{args: []string{"-batch-size", overBatch}, want: `invalid value "` + overBatch + `" for flag -batch-size: want a whole number from 1 to ` + strconv.Itoa(validation.MaxBatchSize)},
			{args: []string{"-rate", "-5"}, want: `invalid value "-5" for flag -rate: want a number above 0`},
			{args: []string{"-duration", "0s"}, want: `invalid value "0s" for flag -duration`},
			{args: []string{"-nope"}, want: "loadgen: flag provided but not defined: -nope; its flags: -batch-rate,"},
			{args: []string{"-tracing-variant", "off"}, want: "loadgen: -tracing-variant needs -http and -tracing-out"},
			{args: []string{"freeport", "now"}, want: `loadgen freeport: unexpected argument "now"`},
			{args: []string{"otlp-sink"}, want: "loadgen otlp-sink: want one listen address"},
			{args: []string{"http-floor", "8081"}, want: `loadgen http-floor: listen address "8081": want host:port`},
			{args: []string{"burst", "-worker-metric", "x"}, want: "loadgen burst: flag provided but not defined: -worker-metric; its flags: -worker, -worker-metrics"},
			{args: []string{"burst", "127.0.0.1:1"}, want: `loadgen burst: unexpected argument "127.0.0.1:1"`},
			{args: []string{"shed-probe", "-batch-size", "0"}, want: `loadgen shed-probe: invalid value "0" for flag -batch-size`},
		},
	}
	// Those of this preset's own tools (tools_PRESET_test.go).
	maps.Copy(cases, presetToolCases())
	bin := buildTools(t, cases)
	listen := "LISTEN_ADDR=" + freeAddr(t)
	for tool, inputs := range cases {
		for _, in := range inputs {
			ctx, cancel := context.WithTimeout(context.Background(), hangwatch.Ceiling)
			cmd := exec.CommandContext(ctx, filepath.Join(bin, tool), in.args...)
			// Later entries win: the case's own over the service's, over the test's.
			cmd.Env = os.Environ()
			if services[tool] {
				cmd.Env = append(cmd.Env, listen)
			}
			cmd.Env = append(cmd.Env, in.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			cancel()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Errorf("%s %s %q: %v, want exit status 2 (%s)", in.env, tool, in.args, err, stderr.String())
			}
			if lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n"); len(lines) != 1 || !strings.Contains(lines[0], in.want) {
				t.Errorf("%s %s %q: stderr %q, want one line containing %q", in.env, tool, in.args, stderr.String(), in.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("%s %s %q: printed %q before refusing", in.env, tool, in.args, stdout.String())
			}
		}
	}
}

// buildTools builds every command under cmd/ into a folder of its own, failing the test for
// one with no cases.
func buildTools(t *testing.T, cases map[string][]badInput) string {
	t.Helper()
	root := filepath.Join("..", "..")
	entries, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if len(cases[e.Name()]) == 0 {
			t.Errorf("cmd/%s has no bad-input cases here: every tool's command line is held to Parse's rules", e.Name())
		}
		pkgs = append(pkgs, "./cmd/"+e.Name())
	}
	bin := t.TempDir()
	build := exec.Command("go", append([]string{"build", "-o", bin + string(os.PathSeparator)}, pkgs...)...)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	return bin
}

// freeAddr is a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
