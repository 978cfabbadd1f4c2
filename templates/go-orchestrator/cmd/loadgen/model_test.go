package main

import "testing"

// The target compares like with like: compiled with compiled only when both sides are
// compiled, the tree walk on both sides otherwise.
func TestModelCompareUsesAFairPair(t *testing.T) {
	rust := modelFigures{Compiled: true, Single: 4, BatchItems: 8, InterpretedSingle: 2, InterpretedBatchItems: 3}
	goFig := modelFigures{Compiled: true, Single: 2, BatchItems: 2, InterpretedSingle: 1, InterpretedBatchItems: 1}
	c := modelCompare{Rust: rust, Go: goFig}
	c.compare()
	if c.Pair != "compiled trees, both" || c.BatchRatio != 4 || c.SingleRatio != 2 || c.InterpretedBatchRatio != 3 {
		t.Fatalf("both compiled: %+v", c)
	}
	goFig.Compiled = false
	c = modelCompare{Rust: rust, Go: goFig}
	c.compare()
	if c.Pair != "tree walk, both" || c.BatchRatio != 3 || c.SingleRatio != 2 {
		t.Fatalf("Go not compiled: %+v", c)
	}
}
