package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// shedHistogram is the worker's own timing of refusals: how long each call it answered
// RESOURCE_EXHAUSTED took from its arrival at the worker's server to the answer. A client's
// shed latency adds to it the kernel's loopback and the client's own wait (loadgen's, behind
// its bulk calls; the shed probe's, on a core it shares), so the figures side by side say
// where a slow refusal spends its time.
const shedHistogram = "scoring_shed_duration_seconds"

// histogram is one series of a Prometheus histogram: cumulative counts by upper bound.
type histogram struct {
	bounds []float64 // ascending, +Inf last
	counts []float64 // cumulative, one per bound
	sum    float64
}

// scrapeHistogram reads series name{label="value"} from the Prometheus text at url. Our own
// reading of three kinds of line rather than prometheus/common's expfmt parser: loadgen needs
// one series, and expfmt would make two libraries direct dependencies of the module.
func scrapeHistogram(ctx context.Context, url, name, label, value string) (histogram, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return histogram{}, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return histogram{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return histogram{}, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	var h histogram
	want := fmt.Sprintf("%s=%q", label, value)
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() {
		series, v, ok := strings.Cut(lines.Text(), " ")
		if !ok || !strings.HasPrefix(series, name+"_") || !strings.Contains(series, want) {
			continue
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return histogram{}, fmt.Errorf("%s: %w", series, err)
		}
		switch {
		case strings.HasPrefix(series, name+"_bucket{"):
			_, le, _ := strings.Cut(series, `le="`)
			le, _, _ = strings.Cut(le, `"`)
			bound, err := strconv.ParseFloat(le, 64) // ParseFloat reads "+Inf"
			if err != nil {
				return histogram{}, fmt.Errorf("%s: %w", series, err)
			}
			h.bounds = append(h.bounds, bound)
			h.counts = append(h.counts, x)
		case strings.HasPrefix(series, name+"_sum{"):
			h.sum = x
		}
	}
	if err := lines.Err(); err != nil {
		return histogram{}, err
	}
	if len(h.bounds) == 0 || !slices.IsSorted(h.bounds) {
		return histogram{}, fmt.Errorf("%s has no %s{%s} buckets in order", url, name, want)
	}
	return h, nil
}

// since is what was observed between before and h (the same series, scraped twice).
func (h histogram) since(before histogram) histogram {
	out := histogram{bounds: h.bounds, counts: slices.Clone(h.counts), sum: h.sum - before.sum}
	if slices.Equal(before.bounds, h.bounds) {
		for i := range out.counts {
			out.counts[i] -= before.counts[i]
		}
	}
	return out
}

func (h histogram) count() float64 {
	if len(h.counts) == 0 {
		return 0
	}
	return h.counts[len(h.counts)-1]
}

// quantile estimates the q quantile (0 to 1) as Prometheus's histogram_quantile does:
// linearly within the bucket it falls in; the highest finite bound if it falls past them.
func (h histogram) quantile(q float64) float64 {
	n := h.count()
	if n <= 0 {
		return math.NaN()
	}
	rank := q * n
	lower, below := 0.0, 0.0
	for i, bound := range h.bounds {
		if h.counts[i] >= rank {
			if math.IsInf(bound, 1) {
				return lower
			}
			in := h.counts[i] - below
			if in <= 0 {
				return bound
			}
			return lower + (bound-lower)*(rank-below)/in
		}
		lower, below = bound, h.counts[i]
	}
	return lower
}
