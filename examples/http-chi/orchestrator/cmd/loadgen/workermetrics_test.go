package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestScrapeHistogramReadsOneSeriesAndItsQuantiles(t *testing.T) {
	body := `# HELP scoring_shed_duration_seconds Time from a shed call's arrival to its RESOURCE_EXHAUSTED answer.
# TYPE scoring_shed_duration_seconds histogram
scoring_shed_duration_seconds_bucket{rpc_method="Score",le="0.001"} 7
scoring_shed_duration_seconds_bucket{rpc_method="Score",le="+Inf"} 7
scoring_shed_duration_seconds_bucket{rpc_method="ScoreBatch",le="0.0001"} %d
scoring_shed_duration_seconds_bucket{rpc_method="ScoreBatch",le="0.0002"} %d
scoring_shed_duration_seconds_bucket{rpc_method="ScoreBatch",le="+Inf"} %d
scoring_shed_duration_seconds_sum{rpc_method="ScoreBatch"} %g
scoring_shed_duration_seconds_count{rpc_method="ScoreBatch"} %d
`
	counts := [][4]int{{10, 10, 10, 10}, {10, 110, 110, 110}}
	sums := []float64{0.0005, 0.0155}
	scrape := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c := counts[scrape]
		fmt.Fprintf(w, body, c[0], c[1], c[2], sums[scrape], c[3])
		scrape++
	}))
	defer srv.Close()
	get := func() histogram {
		h, err := scrapeHistogram(context.Background(), srv.URL, shedHistogram, "rpc_method", "ScoreBatch")
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	before := get()
	d := get().since(before)
	if d.count() != 100 || math.Abs(d.sum-0.015) > 1e-9 {
		t.Fatalf("since = %v calls, %v s; want 100 and 0.015", d.count(), d.sum)
	}
	// All 100 in (0.0001, 0.0002]: the 99th lies 99% of the way through it.
	if q := d.quantile(0.99); math.Abs(q-0.000199) > 1e-9 {
		t.Errorf("p99 = %v, want 0.000199", q)
	}
	if !math.IsNaN((histogram{}).quantile(0.99)) {
		t.Error("an empty histogram has a quantile")
	}
}

func TestScrapeHistogramFailsWithoutTheSeries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, `other_bucket{le="+Inf"} 1`)
	}))
	defer srv.Close()
	if _, err := scrapeHistogram(context.Background(), srv.URL, shedHistogram, "rpc_method", "ScoreBatch"); err == nil {
		t.Error("no error for a missing series")
	}
}
