// Command produce puts scoring requests on the stream the orchestrator reads, with PutRecords
// and the request id as partition key.
// It sends the shared test vectors, or with -count synthetic requests whose features depend
// only on their index and whose ids start with a prefix new to this run, recorded in -run-file
// for `make wait-ready PROCESSED=N` (cmd/verify -count); -poison adds one message that is no
// ScoreRequest. Entries the service fails are sent again. Names come from the orchestrator's
// environment variables.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"example.com/kinesis-dynamodb/orchestrator/internal/awsenv"
	"example.com/kinesis-dynamodb/orchestrator/internal/cmdline"
	"example.com/kinesis-dynamodb/orchestrator/internal/config"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
	"example.com/kinesis-dynamodb/orchestrator/internal/synthetic"
	"example.com/kinesis-dynamodb/orchestrator/internal/telemetry"
)

// message is one request to send: its id (the partition key on a stream) and its body.
type message struct {
	id   string
	body []byte
}

func main() {
	vectors := flag.String("vectors", "../testdata/vectors.json", "shared test vectors to send")
	var count int
	cmdline.IntVar(flag.CommandLine, &count, "count", 0, 0, synthetic.MaxCount, "send N synthetic requests instead of the vectors")
	prefix := flag.String("prefix", "", "id prefix of the synthetic requests (default: one new to this run)")
	runFile := flag.String("run-file", synthetic.RunFile, "where to record the synthetic requests' prefix for cmd/verify (empty: nowhere)")
	poison := flag.Bool("poison", false, "also send one message that is not a ScoreRequest")
	cmdline.Parse("produce", flag.CommandLine, os.Args[1:])
	cfg, err := config.Load(os.Environ())
	if err != nil {
		cmdline.BadInput("produce", err)
	}
	if err := run(cfg, *vectors, count, *prefix, *runFile, *poison); err != nil {
		fmt.Fprintln(os.Stderr, "produce:", err)
		os.Exit(1)
	}
}

func run(cfg config.Config, vectorsPath string, count int, prefix, runFile string, poison bool) error {
	var err error
	var msgs []message
	if count > 0 {
		if prefix, err = startRun(prefix, runFile, time.Now()); err != nil {
			return err
		}
		fmt.Printf("synthetic requests %s to %s\n", synthetic.ID(prefix, 0), synthetic.ID(prefix, count-1))
		msgs, err = syntheticMessages(prefix, count)
	} else {
		msgs, err = loadVectors(vectorsPath)
	}
	if err != nil {
		return err
	}
	if poison {
		msgs = append(msgs, message{id: "poison", body: []byte("this is not a ScoreRequest")})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Traces go where the OTEL_* variables say, as the orchestrator's do; the SQS producer's
	// context travels in each message's attributes.
	flushTraces, err := telemetry.Setup(ctx, "produce", slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		return err
	}
	defer func() { _ = flushTraces(context.WithoutCancel(ctx)) }()
	awsCfg, err := awsenv.Load(ctx, 0)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := send(ctx, newSender(awsCfg, cfg), msgs, pipeline.Retry{}); err != nil {
		return err
	}
	fmt.Printf("sent %d messages in %s\n", len(msgs), time.Since(start).Round(time.Millisecond))
	return nil
}

// send sends msgs in batches, sending again the entries that failed until none is left or
// the attempts of retry (the consumers' own budget, pipeline.Retry) run out. A failed entry is
// most often throttling, which passes.
func send(ctx context.Context, s sender, msgs []message, retry pipeline.Retry) error {
	attempts := retry.MaxAttempts()
	for start := 0; start < len(msgs); start += s.batchSize() {
		pending := msgs[start:min(start+s.batchSize(), len(msgs))]
		for attempt := 1; ; attempt++ {
			failed, err := s.send(ctx, pending)
			if err != nil {
				return err
			}
			if len(failed) == 0 {
				break
			}
			idx := slices.Sorted(maps.Keys(failed))
			if attempt == attempts {
				return fmt.Errorf("%d messages still failing after %d attempts: %w", len(idx), attempts, failed[idx[0]])
			}
			next := make([]message, len(idx))
			for k, i := range idx {
				next[k] = pending[i]
			}
			pending = next
			if err := retry.Wait(ctx, attempt); err != nil {
				return err
			}
		}
	}
	return nil
}

// sender sends one batch, returning the entries that failed, by index into the batch.
type sender interface {
	batchSize() int
	send(ctx context.Context, batch []message) (failed map[int]error, err error)
}

func loadVectors(path string) ([]message, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Vectors []struct {
			Request json.RawMessage `json:"request"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	msgs := make([]message, 0, len(file.Vectors))
	for i, v := range file.Vectors {
		req, err := pipeline.Decode(v.Request)
		if err != nil {
			return nil, fmt.Errorf("%s: vector %d: %w", path, i, err)
		}
		var body bytes.Buffer
		if err := json.Compact(&body, v.Request); err != nil {
			return nil, err
		}
		msgs = append(msgs, message{id: req.GetId(), body: body.Bytes()})
	}
	return msgs, nil
}

// startRun is the prefix of this run's synthetic requests, prefix if given, else a new one,
// recorded in runFile before anything is sent, so verify never waits on an earlier run's.
func startRun(prefix, runFile string, now time.Time) (string, error) {
	if prefix == "" {
		prefix = synthetic.NewPrefix(now)
	}
	if runFile == "" {
		return prefix, nil
	}
	return prefix, synthetic.Record(runFile, prefix)
}

// syntheticMessages makes count requests from synthetic.Request, as protobuf JSON messages.
func syntheticMessages(prefix string, count int) ([]message, error) {
	msgs := make([]message, count)
	for i := range msgs {
		req := synthetic.Request(prefix, i)
		body, err := protojson.Marshal(req)
		if err != nil {
			return nil, err
		}
		msgs[i] = message{id: req.GetId(), body: body}
	}
	return msgs, nil
}
