package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

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

// Rust and Go are timed round by round in turn, so the ratio pairs round i of each: here
// 2, 1.5 and 4, median 2, where the ratio of the medians would be 6/2 = 3.
func TestModelRatiosPairTheRounds(t *testing.T) {
	round := func(lang string, batch float64) modelFigures {
		return modelFigures{Language: lang, Compiled: true, Single: batch, BatchItems: batch}
	}
	c := modelCompare{
		Rust: mediansOf("rust", []modelFigures{round("rust", 6), round("rust", 3), round("rust", 8)}),
		Go:   mediansOf("go", []modelFigures{round("go", 3), round("go", 2), round("go", 2)}),
	}
	c.compare()
	if c.BatchRatio != 2 || c.SingleRatio != 2 {
		t.Fatalf("ratios %v and %v, want the median of the per-round ratios, 2", c.BatchRatio, c.SingleRatio)
	}
}

// The rounds bench.sh alternates between the languages come back as each figure's median,
// and rounds that cannot be one language's scorer, or that disagree on how it scored, are
// refused rather than mixed into a figure.
func TestReadModelRoundsTakesEachFiguresMedian(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	round := func(i int, single, batch float64, compiled bool) string {
		return write(fmt.Sprintf("rust-%d.json", i), fmt.Sprintf(
			`{"language":"rust","rounds":1,"compiled":%t,"single_per_s":%g,"batch_items_per_s":%g,"interpreted_single_per_s":1,"interpreted_batch_items_per_s":%g}`,
			compiled, single, batch, batch/3))
	}
	files := strings.Join([]string{round(1, 30, 9, true), round(2, 10, 3, true), round(3, 20, 6, true)}, ",")
	got, err := readModelRounds(files, "rust")
	if err != nil {
		t.Fatal(err)
	}
	want := modelFigures{Language: "rust", Compiled: true, Single: 20, BatchItems: 6, InterpretedSingle: 1, InterpretedBatchItems: 2}
	if len(got.Runs) != 3 || got.Runs[0].Single != 30 {
		t.Fatalf("rounds kept: %+v", got.Runs)
	}
	got.Runs = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("medians: got %+v, want %+v", got, want)
	}

	for name, files := range map[string]string{
		"another language":      files + "," + write("go.json", `{"language":"go","compiled":true,"single_per_s":1,"batch_items_per_s":1}`),
		"no figures":            write("empty.json", `{"language":"rust","compiled":true}`),
		"compiled, then walked": files + "," + round(4, 10, 3, false),
		"not JSON":              write("text.json", "bench_model: no such file"),
	} {
		if _, err := readModelRounds(files, "rust"); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
}
