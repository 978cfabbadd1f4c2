package main

import (
	"math"
	"slices"
	"time"
)

// percentile is the nearest-rank percentile (0 < p <= 100) of sorted: the smallest sample
// with at least p% of all samples at or below it. No interpolation, so every reported
// latency is one that really happened.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// latencyFigures are the percentiles reported for one phase, in milliseconds.
type latencyFigures struct {
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func summarize(sorted []time.Duration) latencyFigures {
	ms := func(d time.Duration) float64 { return round3(d.Seconds() * 1000) }
	return latencyFigures{
		P50: ms(percentile(sorted, 50)),
		P90: ms(percentile(sorted, 90)),
		P99: ms(percentile(sorted, 99)),
		Max: ms(percentile(sorted, 100)),
	}
}

// median of xs (the lower middle for an even count, so it is always a measured value).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// medianBy is the median of one figure over several runs.
func medianBy[T any](runs []T, f func(T) float64) float64 {
	return median(perRun(runs, f))
}

// pairedRatio is medianRatio of one figure of two variants' runs, run i of each paired,
// rounded for the report.
func pairedRatio[T any](num, den []T, f func(T) float64) float64 {
	return round3(medianRatio(perRun(num, f), perRun(den, f)))
}

// perRun is one figure of each run, in run order.
func perRun[T any](runs []T, f func(T) float64) []float64 {
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = f(r)
	}
	return xs
}

// medianRatio is the median over runs of num[i]/den[i], for two sides whose runs alternate
// so that run i of each meets the same moment of a shared machine: a ratio of medians picked
// independently would throw that pairing away. With an even count it is the mean of the two
// middle ratios, leaning toward neither side of a target. Runs beyond the shorter side, or
// with a non-positive denominator, are left out; 0 when no pair is left.
func medianRatio(num, den []float64) float64 {
	var ratios []float64
	for i := range min(len(num), len(den)) {
		if den[i] > 0 {
			ratios = append(ratios, num[i]/den[i])
		}
	}
	if len(ratios) == 0 {
		return 0
	}
	slices.Sort(ratios)
	mid := len(ratios) / 2
	if len(ratios)%2 == 0 {
		return (ratios[mid-1] + ratios[mid]) / 2
	}
	return ratios[mid]
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func sortedCopy(xs []time.Duration) []time.Duration {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}
