package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The probe sorts each answer as the overload row does, and times only the refusals.
func TestProbeSortsOutTheAnswers(t *testing.T) {
	var n atomic.Int64
	answers := []error{nil, status.Error(codes.ResourceExhausted, "at capacity"), status.Error(codes.DeadlineExceeded, "late"), errors.New("boom")}
	c := func(context.Context) error {
		i := n.Add(1) - 1
		if i%4 == 1 {
			time.Sleep(2 * time.Millisecond)
		}
		return answers[i%4]
	}
	r := probe(context.Background(), c, 400, 100*time.Millisecond)
	if r.Accepted != 10 || len(r.ShedUS) != 10 || r.TimedOut != 10 || r.Errors != 10 || r.FirstError != "boom" {
		t.Fatalf("got %+v; want 10 of each outcome, the first error kept", r)
	}
	for _, us := range r.ShedUS {
		if us < 2000 {
			t.Errorf("a refusal timed at %d µs; it took at least 2,000", us)
		}
	}
}

// Runs' refusals are pooled for one p99; a probe that failed says why, and no run at all is no row.
func TestSummarizeProbesPoolsTheRuns(t *testing.T) {
	if f := summarizeProbes(nil, nil); f != nil {
		t.Errorf("no probe ran: got %+v, want nil", f)
	}
	runs := []probeResult{{ShedUS: []int64{3000, 100}, Accepted: 2}, {ShedUS: []int64{200}, TimedOut: 1, FirstError: ""}}
	f := summarizeProbes(runs, []error{errors.New("shed probe: exit status 1: dial refused")})
	if f.Shed != 3 || f.Accepted != 2 || f.TimedOut != 1 || f.ShedP50 != 0.2 || f.ShedP99 != 3 || f.Rate != probeRate {
		t.Errorf("got %+v; want 3 refusals at p50 0.2 ms and p99 3 ms, 2 accepted, 1 timed out", f)
	}
	if !strings.Contains(f.Note, "dial refused") {
		t.Errorf("note %q does not say why a run has no result", f.Note)
	}
}

// TestMain lets this test binary stand in for loadgen when startShedProbe runs it (it runs
// os.Executable) as `shed-probe`.
func TestMain(m *testing.M) {
	if len(os.Args) >= 2 && os.Args[1] == probeCommand {
		if err := shedProbeCommand(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A probe that cannot reach the worker says so before the overload run starts, with its
// own error, rather than leaving the run to wait for it or to report an empty figure.
func TestStartShedProbeReportsAProbeThatCannotStart(t *testing.T) {
	vectors := filepath.Join(t.TempDir(), "vectors.json")
	if err := os.WriteFile(vectors, []byte(`{"vectors":[{"request":{"id":"v1","numericFeatures":{"amount":1}},"score":0.5}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := options{worker: "127.0.0.1:1", vectors: vectors, batchSize: 2}
	p, err := startShedProbe(context.Background(), o, 100*time.Millisecond)
	if err == nil {
		_, _ = p.wait()
		t.Fatal("started against a closed port")
	}
	if !strings.Contains(err.Error(), "shed probe did not start") || !strings.Contains(err.Error(), "first call") {
		t.Errorf("error %q: want the probe's own reason", err)
	}
}
