package main

import (
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond}, {99.9, 100 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := percentile(sorted, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("one sample: p99 = %v", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("no samples: p50 = %v", got)
	}
}

func TestSummarizeInMilliseconds(t *testing.T) {
	s := summarize([]time.Duration{time.Millisecond, 2 * time.Millisecond, 1500 * time.Microsecond * 10})
	if s.P50 != 2 || s.Max != 15 || s.P99 != 15 {
		t.Errorf("got %+v", s)
	}
}

func TestMedianPicksAMeasuredValue(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("odd: %v", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2 {
		t.Errorf("even: %v", got)
	}
	if got := median(nil); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

// Ratios pair run i with run i; a run without a positive denominator, or beyond the shorter
// side, has no ratio.
func TestMedianRatioPairsRuns(t *testing.T) {
	if got := medianRatio([]float64{2, 9, 4, 7}, []float64{1, 3, 0}); got != 2.5 {
		t.Fatalf("median of 2 and 3 = %v, want their mean, 2.5", got)
	}
	if got := medianRatio([]float64{3, 8, 1}, []float64{1, 2, 1}); got != 3 {
		t.Fatalf("median of 3, 4 and 1 = %v, want 3", got)
	}
	if got := medianRatio(nil, []float64{1}); got != 0 {
		t.Fatalf("no pairs: %v", got)
	}
}
