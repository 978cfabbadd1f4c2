package main

import (
	"strings"
	"testing"
)

// The e2e rows judge the service: a throughput ratio is the median of the per-run ratios,
// and neither row is met while calls failed, whose fast answers would shorten the tail.
func TestE2EChecksPairRunsAndRefuseErrors(t *testing.T) {
	direct := targetFigures{Closed: closedFigures{PerSecond: 100, Runs: []float64{100, 200, 100}}}
	e2e := targetFigures{Closed: closedFigures{Runs: []float64{80, 100, 50}}, Open: openFigures{latencyFigures: latencyFigures{P99: 1.5}}}
	row := func(r *results, name string) check {
		for _, c := range r.Targets {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no %q row in %+v", name, r.Targets)
		return check{}
	}
	r := &results{Direct: directFigures{Score: direct}, E2E: &e2e}
	r.checks()
	// Run by run 0.8, 0.5 and 0.5: median 0.5, where the ratio of the medians would be 0.8.
	if c := row(r, "e2e throughput / direct gRPC throughput"); c.Value != 0.5 || c.Met {
		t.Errorf("throughput row %+v, want 0.5, not met", c)
	}
	if c := row(r, "e2e p99 at fixed rate, ms"); !c.Met {
		t.Errorf("p99 row %+v, want met", c)
	}

	failing := e2e
	failing.Open.Errors = 3
	failing.Closed.Runs = []float64{100, 200, 100}
	r = &results{Direct: directFigures{Score: direct}, E2E: &failing}
	r.checks()
	if c := row(r, "e2e p99 at fixed rate, ms"); c.Met {
		t.Errorf("p99 row met with 3 failed calls: %+v", c)
	}
	if c := row(r, "e2e throughput / direct gRPC throughput"); c.Met {
		t.Errorf("throughput row met with 3 failed calls: %+v", c)
	}
}

// The values of the targets table line up, however long a name is.
func TestTargetsTableLinesUpItsValues(t *testing.T) {
	var b strings.Builder
	writeTargets(&b, []check{{"short", 1, "<= 2", true}, {"a name longer than any column width set by hand", 2.5, ">= 3", false}})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")[1:]
	if len(lines) != 2 {
		t.Fatalf("table\n%s\nwant two rows", b.String())
	}
	for _, want := range []string{"1.000", "2.500"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("table\n%s\nhas no %s", b.String(), want)
		}
	}
	if strings.Index(lines[0], "1.000") != strings.Index(lines[1], "2.500") || !strings.HasSuffix(lines[1], "NOT met") {
		t.Errorf("table\n%s\nvalues not in one column", b.String())
	}
}
