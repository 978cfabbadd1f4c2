package main

import (
	"strings"
	"testing"

	"buf.build/go/protovalidate"

	"example.com/kinesis-dynamodb/orchestrator/internal/validation"
)

func TestFullBatchIsTheContractsLargestInItemsAndFeatures(t *testing.T) {
	b := fullBatch()
	if len(b.GetRequests()) != validation.MaxBatchSize {
		t.Fatalf("%d requests, want the contract's %d", len(b.GetRequests()), validation.MaxBatchSize)
	}
	if got := len(b.GetRequests()[0].GetNumericFeatures()); got != validation.MaxNumericFeatures {
		t.Errorf("%d numeric features, want the contract's %d", got, validation.MaxNumericFeatures)
	}
	if err := protovalidate.Validate(b); err != nil {
		t.Errorf("the burst's batch breaks the contract: %v", err)
	}
}

func TestBurstCheckFailsOnAnyCallLeftUnanswered(t *testing.T) {
	for _, c := range []struct {
		f    burstFigures
		want bool
	}{
		{burstFigures{Accepted: 3, Shed: 597}, true},
		{burstFigures{Accepted: 3, Shed: 596, TimedOut: 1}, false},
		{burstFigures{Accepted: 3, Shed: 596, Errors: 1}, false},
		// Nothing scored is a worker that refuses everything, not a shedding one.
		{burstFigures{Shed: 600}, false},
	} {
		var met bool
		c.f.checks(func(_ string, _ float64, _ string, m bool) { met = m })
		if met != c.want {
			t.Errorf("%+v: met = %v, want %v", c.f, met, c.want)
		}
	}
}

func TestBurstSummaryGivesBothSidesOfTheRefusals(t *testing.T) {
	f := burstFigures{Clients: 200, BatchesPerClient: 3, Items: 1000, Bytes: 1475890, DeadlineMS: 2000, ElapsedMS: 400,
		Accepted: 3, Shed: 597, ShedP99: 180, WorkerShedCalls: 597, WorkerShedP99: 0.05, WorkerShedMean: 0.01}
	var b strings.Builder
	f.write(&b)
	for _, want := range []string{"200 clients x 3 ScoreBatch calls of 1000 items", "597 shed", "0 timed out", "the worker's own time to refuse: p99 0.050 ms"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary\n%s\nwant %q", b.String(), want)
		}
	}
}
