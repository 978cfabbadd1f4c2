package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modelMemoryFile writes figures in the shape the worker's model_memory test writes them:
// the hostile file, then admitted files of 617,141 and 2,468,141 bytes, the larger grown by
// largeKiB (42,064 KiB: 0.93 times the smaller's 11,264 KiB per file byte).
func modelMemoryFile(t *testing.T, hostilePeakKiB int, hostileLoaded bool, largeKiB int, largeLoaded bool) string {
	t.Helper()
	body := fmt.Sprintf(`{
		"files": [
			{"file": "hostile", "bytes": 819941, "peak_kib": %d, "load_ms": 5.5, "loaded": %t},
			{"file": "1x", "bytes": 617141, "peak_kib": 11264, "load_ms": 14.7, "loaded": true},
			{"file": "4x", "bytes": 2468141, "peak_kib": %d, "load_ms": 40.4, "loaded": %t}
		],
		"growth_limit": 1.15, "refusal_limit_bytes_per_file_byte": 40,
		"max_depth": 64, "max_tree_nodes": 65536}`, hostilePeakKiB, hostileLoaded, largeKiB, largeLoaded)
	path := filepath.Join(t.TempDir(), "model-memory.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Each row is met only when the test's own limit holds: growth, worked out from the files,
// within its slack with every admitted file loaded, and the hostile file refused within its
// memory bound.
func TestModelMemoryRowsJudgeByTheTestsLimits(t *testing.T) {
	for _, c := range []struct {
		name                  string
		hostileKiB            int
		hostileLoaded         bool
		largeKiB              int
		largeLoaded           bool
		growth                float64
		wantRefusal, wantGrow bool
	}{
		{"as measured", 5760, false, 42064, true, 0.934, true, true},
		{"growth past its slack", 5760, false, 54000, true, 1.199, true, false},
		{"an admitted file refused", 5760, false, 42064, false, 0.934, true, false},
		{"the hostile file loaded", 5760, true, 42064, true, 0.934, false, true},
		{"refusing cost too much", 40000, false, 42064, true, 0.934, false, true},
	} {
		m, err := readModelMemory(modelMemoryFile(t, c.hostileKiB, c.hostileLoaded, c.largeKiB, c.largeLoaded))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.Growth != c.growth {
			t.Errorf("%s: growth %v, want %v", c.name, m.Growth, c.growth)
		}
		met := map[string]bool{}
		m.checks(func(name string, _ float64, _ string, ok bool) { met[name] = ok })
		refusal, grow := met["model load memory refusing hostile, B/byte"], met["model load memory per byte, growth with size"]
		if len(met) != 2 || refusal != c.wantRefusal || grow != c.wantGrow {
			t.Errorf("%s: rows %v, want refusal met %t, growth met %t", c.name, met, c.wantRefusal, c.wantGrow)
		}
	}
}

// The summary gives every file's figures and the growth against its limit.
func TestModelMemorySummary(t *testing.T) {
	m, err := readModelMemory(modelMemoryFile(t, 5760, false, 42064, true))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	m.write(&b)
	for _, want := range []string{"caps: depth 64, 65536 nodes a tree", "hostile", "refused", "4x", "2.35", "41.1", "0.93x (at most 1.15x)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary\n%s\nlacks %q", b.String(), want)
		}
	}
}

// Figures without the limits, the hostile load or two admitted files, or with a load that
// grew nothing (no growth to compare), are refused, not reported. Each case breaks one thing
// of figures that read.
func TestReadModelMemoryRefusesIncompleteFigures(t *testing.T) {
	const (
		hostile = `{"file":"hostile","bytes":9,"peak_kib":1}`
		small   = `{"file":"1x","bytes":10,"peak_kib":1,"loaded":true}`
		large   = `{"file":"2x","bytes":20,"peak_kib":2,"loaded":true}`
		limits  = `"growth_limit":1.15,"refusal_limit_bytes_per_file_byte":40`
	)
	figures := func(files, limits string) string { return `{"files":[` + files + `],` + limits + `}` }
	dir := t.TempDir()
	read := func(name, body string) error {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := readModelMemory(path)
		return err
	}
	if err := read("whole", figures(hostile+","+small+","+large, limits)); err != nil {
		t.Fatalf("whole figures: %v", err)
	}
	for name, body := range map[string]string{
		"no hostile file":   figures(small+","+large, limits),
		"one admitted file": figures(hostile+","+small, limits),
		"no limits":         strings.TrimSuffix(figures(hostile+","+small+","+large, ""), ",}") + "}",
		"an empty file":     figures(strings.Replace(hostile, `"bytes":9`, `"bytes":0`, 1)+","+small+","+large, limits),
		"a load of no size": figures(hostile+","+strings.Replace(small, `"peak_kib":1`, `"peak_kib":0`, 1)+","+large, limits),
		"not JSON":          `test result: FAILED`,
	} {
		if err := read(name, body); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
}
