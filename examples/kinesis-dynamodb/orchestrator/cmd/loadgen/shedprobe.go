package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"example.com/kinesis-dynamodb/orchestrator/internal/cmdline"
	"example.com/kinesis-dynamodb/orchestrator/internal/validation"
)

// The shed probe: while loadgen drives the worker at twice its peak, a second client in a
// process of its own sends the same batch at probeRate and times the refusals it gets. That
// is the shed latency target's figure, a client's view of the worker's refusals.
//
// Why a process of its own: loadgen's own refusal times also hold the wait behind its
// thousands of calls a second, in its Go runtime and gRPC client on the cores it has. A probe
// goroutine inside loadgen, on a connection of its own, saw the same times as the bulk calls,
// so that wait is loadgen's, which no client of the worker shares. The probe process still
// runs on loadgen's cores (it inherits the pinning), so the kernel's loopback and a busy core
// stay in its figure.
const (
	probeRate = 200 // calls/s: a few hundred refusals a run, a light load beside the bulk's thousands
	// probeCommand is loadgen's subcommand for the probe (shedProbeCommand).
	probeCommand = "shed-probe"
)

// probeResult is one probe run, as `loadgen shed-probe` prints it: each refusal's time from
// sending the call to its answer, in µs, and the count of every other outcome.
type probeResult struct {
	ShedUS     []int64 `json:"shed_us"`
	Accepted   int     `json:"accepted"`
	TimedOut   int     `json:"timed_out"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
}

// probeRun is a shed probe started beside an overload run; wait collects it.
type probeRun struct {
	cmd    *exec.Cmd
	out    *bufio.Reader
	stderr bytes.Buffer
}

// probeReady is the probe's first line: connected and warmed up, about to start pacing.
const probeReady = "ready"

// startShedProbe starts this executable's shed-probe against o.worker for d, sending the
// overload row's batch (o.vectors, o.batchSize), and returns once it is ready, so its calls
// and the overload run's start together.
func startShedProbe(ctx context.Context, o options, d time.Duration) (*probeRun, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding loadgen's executable for the shed probe: %w", err)
	}
	p := &probeRun{}
	p.cmd = exec.CommandContext(ctx, self, probeCommand, "-worker", o.worker, "-worker-metrics", o.workerMetrics, "-vectors", o.vectors,
		"-batch-size", strconv.Itoa(o.batchSize), "-rate", strconv.Itoa(probeRate), "-duration", d.String())
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("starting the shed probe: %w", err)
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the shed probe: %w", err)
	}
	p.out = bufio.NewReader(stdout)
	if line, err := p.out.ReadString('\n'); strings.TrimSpace(line) != probeReady {
		// It ended (or said something else) before pacing: wait for it, for its error.
		_, _ = io.Copy(io.Discard, p.out)
		waitErr := p.cmd.Wait()
		return nil, fmt.Errorf("shed probe did not start: %v %v: %s", err, waitErr, bytes.TrimSpace(p.stderr.Bytes()))
	}
	return p, nil
}

// wait waits for the probe to end and reads what it printed.
func (p *probeRun) wait() (probeResult, error) {
	var r probeResult
	out, readErr := io.ReadAll(p.out) // before Wait, which closes the pipe
	if err := p.cmd.Wait(); err != nil {
		return r, fmt.Errorf("shed probe: %w: %s", err, bytes.TrimSpace(p.stderr.Bytes()))
	}
	if readErr != nil {
		return r, fmt.Errorf("reading the shed probe's result: %w", readErr)
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("shed probe printed no result: %w", err)
	}
	return r, nil
}

// shedProbeCommand is `loadgen shed-probe`: the batch at a fixed rate for a duration; on
// stdout, probeReady once connected and warmed up, then its probeResult as JSON with the
// connections the worker refused meanwhile (runRow).
func shedProbeCommand(args []string) error {
	flags := flag.NewFlagSet(probeCommand, flag.ContinueOnError)
	addr := flags.String("worker", "127.0.0.1:50051", "worker gRPC address")
	metrics := flags.String("worker-metrics", "", "the worker's /metrics URL, for the connections it refused (empty: not read)")
	vectors := flags.String("vectors", "../testdata/vectors.json", "shared test vectors: the requests sent")
	var batchSize int
	var rate float64
	var d time.Duration
	cmdline.IntVar(flags, &batchSize, "batch-size", 100, 1, validation.MaxBatchSize, "requests per ScoreBatch call")
	cmdline.PositiveFloatVar(flags, &rate, "rate", probeRate, "calls per second")
	cmdline.PositiveDurationVar(flags, &d, "duration", 2*time.Second, "how long to probe")
	cmdline.Parse("loadgen "+probeCommand, flags, args)
	return runRow(context.Background(), *metrics, os.Stdout, func(ctx context.Context) (any, error) {
		return runShedProbe(ctx, *addr, *vectors, batchSize, rate, d)
	})
}

// runShedProbe is the probe's run: probeReady on stdout once connected and warmed up, then
// the run's result.
func runShedProbe(ctx context.Context, addr, vectors string, batchSize int, rate float64, d time.Duration) (probeResult, error) {
	reqs, err := loadRequests(vectors)
	if err != nil {
		return probeResult{}, err
	}
	conn, err := dialWorker(addr)
	if err != nil {
		return probeResult{}, err
	}
	defer conn.Close()
	c, err := batchCall(conn, batchOf(reqs, batchSize))
	if err != nil {
		return probeResult{}, err
	}
	sparePacingProc()
	// One unmeasured call first: the connection is up and the worker known to answer before
	// the run's clock starts (the overload run starts on probeReady).
	if err := send(ctx, c); err != nil && !shed(err) {
		return probeResult{}, fmt.Errorf("the shed probe's first call: %w", err)
	}
	fmt.Println(probeReady)
	return probe(ctx, c, rate, d), nil
}

// probe sends c at rate for d and sorts out the answers.
func probe(ctx context.Context, c call, rate float64, d time.Duration) probeResult {
	var mu sync.Mutex
	r := probeResult{ShedUS: []int64{}}
	pace(ctx, rate, int(rate*d.Seconds()), int(rate), func(_ int, _ time.Time) {
		sent := time.Now()
		err := send(ctx, c)
		took := time.Since(sent)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			r.Accepted++
		case shed(err):
			r.ShedUS = append(r.ShedUS, took.Microseconds())
		case timedOut(err):
			r.TimedOut++
		default:
			r.Errors++
			if r.FirstError == "" {
				r.FirstError = err.Error()
			}
		}
	})
	return r
}

// probeFigures pools the probe's refusals over the runs: a run gives a few hundred, too few
// for a p99 of its own, so this one p99 is over all of them rather than a median of runs.
type probeFigures struct {
	Rate     float64 `json:"rate_per_s"`
	Shed     int     `json:"shed"`
	Accepted int     `json:"accepted"`
	TimedOut int     `json:"timed_out"`
	Errors   int     `json:"errors"`
	ShedP50  float64 `json:"shed_p50_ms"`
	ShedP99  float64 `json:"shed_p99_ms"`
	// Note says why there is no figure, or the probe's first error.
	Note string `json:"note,omitempty"`
}

func summarizeProbes(runs []probeResult, errs []error) *probeFigures {
	if len(runs) == 0 && len(errs) == 0 {
		return nil
	}
	f := &probeFigures{Rate: probeRate}
	var shed []time.Duration
	for _, r := range runs {
		for _, us := range r.ShedUS {
			shed = append(shed, time.Duration(us)*time.Microsecond)
		}
		f.Accepted += r.Accepted
		f.TimedOut += r.TimedOut
		f.Errors += r.Errors
		if f.Note == "" && r.FirstError != "" {
			f.Note = "first error: " + r.FirstError
		}
	}
	for _, err := range errs {
		if f.Note == "" {
			f.Note = err.Error()
		}
	}
	slices.Sort(shed)
	f.Shed = len(shed)
	times := summarize(shed)
	f.ShedP50, f.ShedP99 = times.P50, times.P99
	return f
}
