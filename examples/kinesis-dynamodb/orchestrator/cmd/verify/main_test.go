package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/synthetic"
)

type named string

func (n named) String() string { return string(n) }

func response(id string, score float64) *scoringv1.ScoreResponse {
	return &scoringv1.ScoreResponse{Id: id, Score: score, ModelVersion: "m1", ReasonCodes: []string{"AMOUNT_HIGH"}}
}

var want = map[string]*scoringv1.ScoreResponse{"a": response("a", 0.5), "b": response("b", 0.25)}

func TestARedeliveryDoesNotStandInForAnUnscoredVector(t *testing.T) {
	got := found{"a": {response("a", 0.5), response("a", 0.5)}}
	if n := arrivedCount(got, want); n != 1 {
		t.Fatalf("arrivedCount = %d, want 1: two results of one id are one arrival", n)
	}
	got["b"] = []*scoringv1.ScoreResponse{response("b", 0.25)}
	if n := arrivedCount(got, want); n != 2 {
		t.Fatalf("arrivedCount = %d, want 2", n)
	}
}

func TestCheckComparesEveryResult(t *testing.T) {
	for _, tc := range []struct {
		name, wantErr string
		got           found
	}{
		{"all match, one redelivered", "", found{"a": {response("a", 0.5), response("a", 0.5)}, "b": {response("b", 0.25)}}},
		{"a redelivery scored differently", "result a: the store holds", found{"a": {response("a", 0.5), response("a", 0.6)}, "b": {response("b", 0.25)}}},
		{"an id no vector sent", `a result for "zz", which no vector sent`, found{"a": {response("a", 0.5)}, "b": {response("b", 0.25)}, "zz": {response("zz", 0.1)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := check(named("the store"), tc.got, want)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("check: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("check = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestCountModeWantsEachSyntheticIDOnceWhateverItsScore(t *testing.T) {
	want := syntheticIDs("s-", 3)
	if len(want) != 3 {
		t.Fatalf("%d ids, want 3", len(want))
	}
	// Two deliveries of s-000000 and one of s-000001: two of the three requests, not three.
	got := found{"s-000000": {response("s-000000", 0.1), response("s-000000", 0.1)}, "s-000001": {response("s-000001", 0.9)}, "other": {response("other", 0)}}
	if n := arrivedCount(got, want); n != 2 {
		t.Fatalf("arrivedCount = %d, want 2: a redelivery does not stand in for s-000002", n)
	}
}

// The rerun fault: every result of the first `make produce N=3` is in the store, a second
// run is produced and nothing of it handled yet. Verify must see none of the three.
func TestCountModeWaitsForTheLastRunsRequestsNotAnEarlierRunsResults(t *testing.T) {
	runFile := filepath.Join(t.TempDir(), "synthetic-prefix")
	if _, err := runIDs("", runFile, 3); err == nil {
		t.Fatal("runIDs with no run recorded: want an error, not some default ids")
	}
	got := found{}
	for _, run := range []string{"first", "second"} {
		if err := synthetic.Record(runFile, synthetic.NewPrefix(time.Now())); err != nil {
			t.Fatal(err)
		}
		want, err := runIDs("", runFile, 3)
		if err != nil {
			t.Fatal(err)
		}
		if n := arrivedCount(got, want); n != 0 {
			t.Fatalf("%s run: %d of its 3 requests counted as arrived before any was handled", run, n)
		}
		for id := range want {
			got[id] = []*scoringv1.ScoreResponse{response(id, 0.5)}
		}
	}
}
