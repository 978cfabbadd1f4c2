package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
)

// modelMemory is what the primary worker's model_memory test measured (its
// tests/model_memory.rs, which make bench runs with MODEL_MEMORY_OUT set): the peak
// resident growth of a fresh process loading one model file, for a hostile file the caps
// must refuse and for admitted files of growing size. The test's limits come in the same
// file, so the test and the targets table judge by the same numbers.
type modelMemory struct {
	Files []modelLoad `json:"files"`
	// GrowthLimit is how much peak memory per file byte may rise from the smallest admitted
	// file to a larger one; RefusalLimit the most peak memory, in bytes per file byte,
	// refusing the hostile file may cost.
	GrowthLimit  float64 `json:"growth_limit"`
	RefusalLimit float64 `json:"refusal_limit_bytes_per_file_byte"`
	MaxDepth     int     `json:"max_depth"`
	MaxTreeNodes int     `json:"max_tree_nodes"`
	// Growth is the largest rise in peak memory per file byte from the smallest admitted
	// file to a larger one (1: linear), worked out here from Files.
	Growth float64 `json:"growth"`
}

// modelLoad is one file's load: its size, the peak resident growth in KiB, the time taken
// in milliseconds, and whether the caps admitted it.
type modelLoad struct {
	File    string  `json:"file"`
	Bytes   int64   `json:"bytes"`
	PeakKiB int64   `json:"peak_kib"`
	LoadMS  float64 `json:"load_ms"`
	Loaded  bool    `json:"loaded"`
}

// hostileModelFile names the file the caps must refuse among modelMemory.Files.
const hostileModelFile = "hostile"

// readModelMemory reads the test's figures and works out their growth. It fails on a file
// without the limits, the hostile load, two admitted files to compare, or with a load that
// grew the process not at all.
func readModelMemory(path string) (*modelMemory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m modelMemory
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.GrowthLimit <= 0 || m.RefusalLimit <= 0 {
		return nil, fmt.Errorf("%s: want positive growth_limit and refusal_limit_bytes_per_file_byte, got %g and %g", path, m.GrowthLimit, m.RefusalLimit)
	}
	var hostile bool
	var admitted []modelLoad
	for _, f := range m.Files {
		if f.Bytes <= 0 || f.PeakKiB <= 0 {
			return nil, fmt.Errorf("%s: file %q: %d bytes, %d KiB of peak growth; want both positive", path, f.File, f.Bytes, f.PeakKiB)
		}
		if f.File == hostileModelFile {
			hostile = true
		} else {
			admitted = append(admitted, f)
		}
	}
	if !hostile || len(admitted) < 2 {
		return nil, fmt.Errorf("%s: want the %q file and two admitted files or more to compare", path, hostileModelFile)
	}
	slices.SortFunc(admitted, func(a, b modelLoad) int { return cmp.Compare(a.Bytes, b.Bytes) })
	for _, f := range admitted[1:] {
		m.Growth = max(m.Growth, f.perFileByte()/admitted[0].perFileByte())
	}
	m.Growth = round3(m.Growth)
	return &m, nil
}

// perFileByte is peak memory in bytes per byte of the file.
func (l modelLoad) perFileByte() float64 {
	return float64(l.PeakKiB) * 1024 / float64(l.Bytes)
}

// checks adds the two rows of the model memory target: linear in the file's size (every
// admitted file loaded, the growth within its limit) and capped (the hostile file refused
// within its memory limit).
func (m *modelMemory) checks(add func(name string, value float64, target string, met bool)) {
	loaded := true
	for _, f := range m.Files {
		if f.File == hostileModelFile {
			per := f.perFileByte()
			add("model load memory refusing hostile, B/byte", per, fmt.Sprintf("< %g", m.RefusalLimit), !f.Loaded && per < m.RefusalLimit)
			continue
		}
		loaded = loaded && f.Loaded
	}
	add("model load memory per byte, growth with size", m.Growth, fmt.Sprintf("<= %g", m.GrowthLimit), loaded && m.Growth <= m.GrowthLimit)
}

// write prints one line per file loaded.
func (m *modelMemory) write(w io.Writer) {
	fmt.Fprintf(w, "\nmodel load memory, a fresh process loading one file (caps: depth %d, %d nodes a tree)\n", m.MaxDepth, m.MaxTreeNodes)
	fmt.Fprintf(w, "  %-10s %9s %10s %13s %9s  %s\n", "file", "file MiB", "+peak MiB", "B per file B", "load ms", "outcome")
	for _, f := range m.Files {
		outcome := "loaded"
		if !f.Loaded {
			outcome = "refused"
		}
		fmt.Fprintf(w, "  %-10s %9.2f %10.1f %13.1f %9.1f  %s\n", f.File, float64(f.Bytes)/(1<<20), float64(f.PeakKiB)/1024, f.perFileByte(), f.LoadMS, outcome)
	}
	fmt.Fprintf(w, "  peak per file byte, largest rise from the smallest admitted file: %.2fx (at most %gx)\n", m.Growth, m.GrowthLimit)
}
