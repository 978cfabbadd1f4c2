package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modelMemoryFile writes figures in the shape the worker's model_memory test writes them.
func modelMemoryFile(t *testing.T, hostilePeakKiB int, hostileLoaded bool, growth float64, admittedLoaded bool) string {
	t.Helper()
	body := fmt.Sprintf(`{
		"files": [
			{"file": "hostile", "bytes": 819941, "peak_kib": %d, "load_ms": 5.5, "loaded": %t},
			{"file": "1x", "bytes": 617141, "peak_kib": 11264, "load_ms": 14.7, "loaded": true},
			{"file": "4x", "bytes": 2468141, "peak_kib": 42064, "load_ms": 40.4, "loaded": %t}
		],
		"growth": %g, "growth_limit": 1.15, "refusal_limit_bytes_per_file_byte": 40,
		"max_depth": 64, "max_tree_nodes": 65536}`, hostilePeakKiB, hostileLoaded, admittedLoaded, growth)
	path := filepath.Join(t.TempDir(), "model-memory.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Each row is met only when the test's own limit holds: growth within its slack with every
// admitted file loaded, and the hostile file refused within its memory bound.
func TestModelMemoryRowsJudgeByTheTestsLimits(t *testing.T) {
	for _, c := range []struct {
		name                  string
		hostileKiB            int
		hostileLoaded         bool
		growth                float64
		admittedLoaded        bool
		wantRefusal, wantGrow bool
	}{
		{"as measured", 5760, false, 0.93, true, true, true},
		{"growth past its slack", 5760, false, 1.2, true, true, false},
		{"an admitted file refused", 5760, false, 0.93, false, true, false},
		{"the hostile file loaded", 5760, true, 0.93, true, false, true},
		{"refusing cost too much", 40000, false, 0.93, true, false, true},
	} {
		m, err := readModelMemory(modelMemoryFile(t, c.hostileKiB, c.hostileLoaded, c.growth, c.admittedLoaded))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
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
	m, err := readModelMemory(modelMemoryFile(t, 5760, false, 0.93, true))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	m.write(&b)
	for _, want := range []string{"caps: depth 64, 65536 nodes a tree", "hostile", "refused", "4x", "2.47", "41.1", "0.93x (at most 1.15x)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary\n%s\nlacks %q", b.String(), want)
		}
	}
}

// Figures without the hostile load, an admitted file or the limits are refused, not reported.
func TestReadModelMemoryRefusesIncompleteFigures(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"no hostile file":  `{"files":[{"file":"1x","bytes":1,"peak_kib":1,"loaded":true}],"growth":1,"growth_limit":1.15,"refusal_limit_bytes_per_file_byte":40}`,
		"no admitted file": `{"files":[{"file":"hostile","bytes":1,"peak_kib":1}],"growth":1,"growth_limit":1.15,"refusal_limit_bytes_per_file_byte":40}`,
		"no limits":        `{"files":[{"file":"hostile","bytes":1},{"file":"1x","bytes":1,"loaded":true}],"growth":1}`,
		"an empty file":    `{"files":[{"file":"hostile","bytes":0},{"file":"1x","bytes":1,"loaded":true}],"growth":1,"growth_limit":1.15,"refusal_limit_bytes_per_file_byte":40}`,
		"not JSON":         `test result: FAILED`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readModelMemory(path); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
}
