// Command verify checks what the pipeline delivered: it waits until every shared test
// vector's result has arrived where the sink keeps it (openStore, in the store file of
// this project's sink) and checks each result found against the vector's expected
// response; then the checks other files add (afterResults). With -count N it waits instead
// until each of the N synthetic requests the last `make produce N=...` sent (the prefix it
// recorded in -run-file) has a result, whatever its score: `make wait-ready PROCESSED=N`
// runs it so, counting this run's requests, not deliveries nor an earlier run's results.
// scripts/smoke.sh runs it after produce; it exits non-zero on the first mismatch.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/cmdline"
	"example.com/sqs-dynamodb/orchestrator/internal/config"
	"example.com/sqs-dynamodb/orchestrator/internal/synthetic"
)

type vector struct {
	Name     string          `json:"name"`
	Request  json.RawMessage `json:"request"`
	Expected json.RawMessage `json:"expected"`
}

// afterResults are the checks other files of this command add, run once every result
// matched: the dead-letter check of this project's ingress.
var afterResults []func(context.Context, config.Config) error

func main() {
	vectorsPath := flag.String("vectors", "../testdata/vectors.json", "shared test vectors whose results to check")
	var count int
	cmdline.IntVar(flag.CommandLine, &count, "count", 0, 0, synthetic.MaxCount, "instead of the vectors, wait for a result of each of N synthetic requests")
	prefix := flag.String("prefix", "", "id prefix of the synthetic requests (-count; default: the one in -run-file)")
	runFile := flag.String("run-file", synthetic.RunFile, "where cmd/produce recorded its synthetic requests' prefix")
	wait := flag.Duration("wait", 90*time.Second, "how long to wait for every result")
	cmdline.Parse("verify", flag.CommandLine, os.Args[1:])
	// The stores and checks read the orchestrator's settings, loaded here once: a bad one is
	// bad input, refused before any wait.
	cfg, err := config.Load(os.Environ())
	if err != nil {
		cmdline.BadInput("verify", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	if count > 0 {
		var want map[string]*scoringv1.ScoreResponse
		if want, err = runIDs(*prefix, *runFile, count); err == nil {
			err = run(ctx, cfg, want, false)
		}
	} else {
		var want map[string]*scoringv1.ScoreResponse
		if want, err = expected(*vectorsPath); err == nil {
			err = run(ctx, cfg, want, true)
		}
	}
	for _, check := range afterResults {
		if err == nil {
			err = check(ctx, cfg)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(1)
	}
}

// found are the results a sink holds so far, by request id: one per id in a table, and
// as many as were logged for a log, where a redelivered message is logged again.
type found map[string][]*scoringv1.ScoreResponse

// resultStore is where the sink keeps results; openStore (store_SINK.go) opens it, from the
// orchestrator's settings.
type resultStore interface {
	// read returns the results held so far for the wanted ids, and any others it holds.
	read(ctx context.Context, want map[string]*scoringv1.ScoreResponse) (found, error)
	// String names the store in messages.
	String() string
}

// run waits until every id of want has a result in the store; with compare, it then checks
// each result against want's expected response, and that the store holds no other id.
func run(ctx context.Context, cfg config.Config, want map[string]*scoringv1.ScoreResponse, compare bool) error {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	for {
		got, err := store.read(ctx, want)
		if err != nil {
			return err
		}
		arrived := arrivedCount(got, want)
		if arrived == len(want) && !compare {
			fmt.Printf("verify: all %d requests have a result in %s\n", len(want), store)
			return nil
		}
		if arrived == len(want) {
			if err := check(store, got, want); err != nil {
				return err
			}
			fmt.Printf("verify: all %d results in %s match the vectors\n", len(want), store)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("only %d of %d results arrived in %s", arrived, len(want), store)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// arrivedCount is how many wanted ids have a result: not how many results there are,
// which a redelivered message counts twice.
func arrivedCount(got found, want map[string]*scoringv1.ScoreResponse) int {
	n := 0
	for id := range want {
		if len(got[id]) > 0 {
			n++
		}
	}
	return n
}

// check compares every result found with its vector's expected response, so a redelivery
// scored differently fails as surely as a wrong first answer, and a result for an id no
// vector sent fails too.
func check(store fmt.Stringer, got found, want map[string]*scoringv1.ScoreResponse) error {
	for id, rs := range got {
		w, ok := want[id]
		if !ok {
			return fmt.Errorf("%s holds a result for %q, which no vector sent", store, id)
		}
		for _, r := range rs {
			if !proto.Equal(r, w) {
				return fmt.Errorf("result %s: %s holds %v, want %v", id, store, r, w)
			}
		}
	}
	return nil
}

// runIDs are the ids of the count synthetic requests of one produce run: prefix's, or if
// none is given the run's that runFile records.
func runIDs(prefix, runFile string, count int) (map[string]*scoringv1.ScoreResponse, error) {
	if prefix == "" {
		var err error
		if prefix, err = synthetic.Recorded(runFile); err != nil {
			return nil, err
		}
	}
	return syntheticIDs(prefix, count), nil
}

// syntheticIDs are the ids of the count synthetic requests with prefix, each with no
// expected response: their scores are whatever the model makes of them.
func syntheticIDs(prefix string, count int) map[string]*scoringv1.ScoreResponse {
	want := make(map[string]*scoringv1.ScoreResponse, count)
	for i := range count {
		want[synthetic.ID(prefix, i)] = nil
	}
	return want
}

// expected maps each vector's request id to its expected response.
func expected(path string) (map[string]*scoringv1.ScoreResponse, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	want := make(map[string]*scoringv1.ScoreResponse, len(file.Vectors))
	for _, v := range file.Vectors {
		resp := &scoringv1.ScoreResponse{}
		if err := protojson.Unmarshal(v.Expected, resp); err != nil {
			return nil, fmt.Errorf("vector %s: %w", v.Name, err)
		}
		want[resp.GetId()] = resp
	}
	if len(want) == 0 {
		return nil, errors.New(path + ": no vectors")
	}
	return want, nil
}
