package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"example.com/kinesis-dynamodb/orchestrator/internal/synthetic"
)

// A rerun against the same emulator must send ids the first run did not, and leave its own
// prefix where verify looks, before it sends anything.
func TestEveryRunRecordsANewPrefix(t *testing.T) {
	runFile := filepath.Join(t.TempDir(), "synthetic-prefix")
	now := time.Now()
	first, err := startRun("", runFile, now)
	if err != nil {
		t.Fatal(err)
	}
	second, err := startRun("", runFile, now)
	if err != nil {
		t.Fatal(err)
	}
	if first == second || !strings.HasPrefix(second, "synthetic-") {
		t.Fatalf("runs got prefixes %q and %q, want two distinct synthetic- prefixes", first, second)
	}
	if got, err := synthetic.Recorded(runFile); err != nil || got != second {
		t.Fatalf("recorded %q, %v; want the last run's %q", got, err, second)
	}
	if got, err := startRun("mine-", runFile, now); err != nil || got != "mine-" {
		t.Fatalf("startRun with -prefix mine- = %q, %v", got, err)
	}
	if got, _ := synthetic.Recorded(runFile); got != "mine-" {
		t.Fatalf("recorded %q, want the given -prefix", got)
	}
}
