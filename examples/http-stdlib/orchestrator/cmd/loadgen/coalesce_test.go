package main

import (
	"strings"
	"testing"
)

func TestParseSumCountAddsEveryWorkersSamples(t *testing.T) {
	text := `# HELP orchestrator_coalesced_batch_size x
# TYPE orchestrator_coalesced_batch_size histogram
orchestrator_coalesced_batch_size_bucket{worker="a",le="1"} 3
orchestrator_coalesced_batch_size_sum{worker="a"} 12
orchestrator_coalesced_batch_size_count{worker="a"} 4
orchestrator_coalesced_batch_size_sum{worker="b"} 1
orchestrator_coalesced_batch_size_count{worker="b"} 1
orchestrator_worker_batch_items_sum{worker="a"} 99
`
	sum, count, err := parseSumCount(strings.NewReader(text), "orchestrator_coalesced_batch_size")
	if err != nil || sum != 13 || count != 5 {
		t.Fatalf("got sum %v, count %v, err %v; want 13, 5", sum, count, err)
	}
}
