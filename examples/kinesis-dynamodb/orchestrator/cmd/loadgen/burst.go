package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/cmdline"
	"example.com/kinesis-dynamodb/orchestrator/internal/config"
	"example.com/kinesis-dynamodb/orchestrator/internal/validation"
)

// The burst row: burstClients clients, each on a connection of its own, each sending
// burstBatches full batches one after another as fast as the answers come, every call with
// the orchestrator's deadline, straight at the worker. A worker that decodes each call before
// checking its in-flight limit spends the burst decoding calls it then refuses, and most calls
// time out (once 339 DEADLINE_EXCEEDED, 205 CANCELLED, 56 OK and nothing shed, for this
// burst). A burst is not a rate, so how many calls are scored depends on the budget; what must
// hold is that every call is scored or refused, and none is left to time out.
const (
	burstClients = 200
	burstBatches = 3
)

// burstFigures is the burst row. Latencies are from sending a call to its answer, in ms.
type burstFigures struct {
	Clients          int     `json:"clients"`
	BatchesPerClient int     `json:"batches_per_client"`
	Items            int     `json:"items_per_batch"`
	Bytes            int     `json:"bytes_per_batch"`
	DeadlineMS       float64 `json:"deadline_ms"`
	ElapsedMS        float64 `json:"elapsed_ms"`
	Accepted         int     `json:"accepted"`
	Shed             int     `json:"shed"`
	// TimedOut calls passed their deadline: DEADLINE_EXCEEDED from loadgen's client, or
	// CANCELLED, tonic's answer to a deadline that passed in the worker.
	TimedOut    int     `json:"timed_out"`
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	AcceptedP50 float64 `json:"accepted_p50_ms"`
	ShedP50     float64 `json:"shed_p50_ms"`
	ShedP99     float64 `json:"shed_p99_ms"`
	// WorkerShed* are the worker's own timing of the refusals, as in the overload row.
	WorkerShedCalls int     `json:"worker_shed_calls"`
	WorkerShedP99   float64 `json:"worker_shed_p99_ms"`
	WorkerShedMean  float64 `json:"worker_shed_mean_ms"`
	WorkerShedNote  string  `json:"worker_shed_note,omitempty"`
}

// fullBatch is the contract's largest batch in items, every request with the most
// numeric features allowed (64 as generated: about 1.5 MB in all).
func fullBatch() *scoringv1.ScoreBatchRequest {
	features := make(map[string]float64, validation.MaxNumericFeatures)
	for f := range validation.MaxNumericFeatures {
		features[fmt.Sprintf("feature_%d", f)] = 1234.5678 + float64(f)
	}
	b := &scoringv1.ScoreBatchRequest{Requests: make([]*scoringv1.ScoreRequest, validation.MaxBatchSize)}
	for i := range b.Requests {
		b.Requests[i] = &scoringv1.ScoreRequest{Id: fmt.Sprintf("burst-%d", i), NumericFeatures: features}
	}
	return b
}

// runBurst sends the burst to the worker at addr; metrics is its /metrics URL ("" : not read).
func runBurst(ctx context.Context, addr, metrics string) (burstFigures, error) {
	deadline, err := time.ParseDuration(config.Default("REQUEST_TIMEOUT"))
	if err != nil {
		return burstFigures{}, fmt.Errorf("the orchestrator's default REQUEST_TIMEOUT: %w", err)
	}
	batch := fullBatch()
	wire, err := proto.Marshal(batch)
	if err != nil {
		return burstFigures{}, fmt.Errorf("encoding the burst batch: %w", err)
	}
	f := burstFigures{Clients: burstClients, BatchesPerClient: burstBatches, Items: len(batch.GetRequests()), Bytes: len(wire),
		DeadlineMS: float64(deadline.Milliseconds())}
	conns := make([]*grpc.ClientConn, 0, burstClients)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range burstClients {
		conn, err := dialWorker(addr)
		if err != nil {
			return f, err
		}
		conns = append(conns, conn)
	}
	before, workerErr := workerShedHistogram(ctx, metrics)

	var mu sync.Mutex
	var accepted, refused []time.Duration
	var firstErr error
	var clients sync.WaitGroup
	started := time.Now()
	for _, conn := range conns {
		send := wireBatchCall(conn, wire, f.Items)
		clients.Go(func() {
			for range burstBatches {
				callCtx, cancel := context.WithTimeout(ctx, deadline)
				sent := time.Now()
				err := send(callCtx)
				took := time.Since(sent)
				cancel()
				mu.Lock()
				switch {
				case err == nil:
					accepted = append(accepted, took)
				case shed(err):
					refused = append(refused, took)
				case timedOut(err) || status.Code(err) == codes.Canceled:
					f.TimedOut++
				default:
					f.Errors++
					if firstErr == nil {
						firstErr = err
					}
				}
				mu.Unlock()
			}
		})
	}
	clients.Wait()
	f.ElapsedMS = round3(time.Since(started).Seconds() * 1000)
	slices.Sort(accepted)
	slices.Sort(refused)
	f.Accepted, f.Shed = len(accepted), len(refused)
	f.AcceptedP50 = summarize(accepted).P50
	shedTimes := summarize(refused)
	f.ShedP50, f.ShedP99 = shedTimes.P50, shedTimes.P99
	if firstErr != nil {
		f.FirstError = firstErr.Error()
	}
	if workerErr == nil {
		var after histogram
		if after, workerErr = workerShedHistogram(ctx, metrics); workerErr == nil {
			own := after.since(before)
			if n := own.count(); n > 0 {
				f.WorkerShedCalls = int(n)
				f.WorkerShedP99 = round3(1000 * own.quantile(0.99))
				f.WorkerShedMean = round3(1000 * own.sum / n)
			}
		}
	}
	if workerErr != nil {
		f.WorkerShedNote = "worker-side shed timing not read: " + workerErr.Error()
	}
	return f, ctx.Err()
}

// workerShedHistogram scrapes the worker's own timing of its ScoreBatch refusals.
func workerShedHistogram(ctx context.Context, metrics string) (histogram, error) {
	if metrics == "" {
		return histogram{}, errors.New("the worker's metrics address was not given (-worker-metrics)")
	}
	return scrapeHistogram(ctx, metrics, shedHistogram, "rpc_method", "ScoreBatch")
}

// checks is the burst row's target: every call scored or refused.
func (f burstFigures) checks(add func(name string, value float64, target string, met bool)) {
	left := f.TimedOut + f.Errors
	add("burst: calls neither scored nor shed", float64(left), "= 0", left == 0 && f.Accepted > 0)
}

func (f burstFigures) write(w io.Writer) {
	fmt.Fprintf(w, "\nburst: %d clients x %d ScoreBatch calls of %d items (%d bytes), deadline %.0f ms, straight at the worker\n",
		f.Clients, f.BatchesPerClient, f.Items, f.Bytes, f.DeadlineMS)
	fmt.Fprintf(w, "  in %.0f ms: %d scored (p50 %.3f ms), %d shed (p50 %.3f ms, p99 %.3f ms), %d timed out, %d other errors\n",
		f.ElapsedMS, f.Accepted, f.AcceptedP50, f.Shed, f.ShedP50, f.ShedP99, f.TimedOut, f.Errors)
	switch {
	case f.WorkerShedNote != "":
		fmt.Fprintf(w, "  %s\n", f.WorkerShedNote)
	case f.WorkerShedCalls > 0:
		fmt.Fprintf(w, "  the worker's own time to refuse: p99 %.3f ms, mean %.3f ms over %d calls\n", f.WorkerShedP99, f.WorkerShedMean, f.WorkerShedCalls)
	}
	if f.FirstError != "" {
		fmt.Fprintf(w, "  first other error: %s\n", f.FirstError)
	}
}

// burstCommand is `loadgen burst`: the burst row alone, its JSON on stdout and its text on
// stderr, with the connections the worker refused meanwhile (runRow).
func burstCommand(args []string) error {
	flags := flag.NewFlagSet("burst", flag.ContinueOnError)
	addr := flags.String("worker", "127.0.0.1:50051", "worker gRPC address")
	metrics := flags.String("worker-metrics", "", "the worker's /metrics URL, for its own shed timing and the connections it refused (empty: not read)")
	cmdline.Parse("loadgen burst", flags, args)
	return runRow(context.Background(), *metrics, os.Stdout, func(ctx context.Context) (any, error) {
		f, err := runBurst(ctx, *addr, *metrics)
		if err != nil {
			return nil, err
		}
		f.write(os.Stderr)
		return f, nil
	})
}
