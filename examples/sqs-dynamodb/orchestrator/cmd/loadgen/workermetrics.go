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

// connectionsRefused counts the gRPC connections the worker closed on arrival because it held
// its most already: their calls fail with a reset, not a status the worker chose, so a run
// that hit the cap measured the cap, not the service (see connections.go).
const connectionsRefused = "worker_grpc_connections_refused_total"

// Both names come from create-hybrid-backend's worker metrics table (src/render/telemetry.ts),
// as the worker's own do.

// histogram is one series of a Prometheus histogram: cumulative counts by upper bound.
type histogram struct {
	bounds []float64 // ascending, +Inf last
	counts []float64 // cumulative, one per bound
	sum    float64
}

// scrapeHistogram reads series name{label="value"} from the Prometheus text at url.
func scrapeHistogram(ctx context.Context, url, name, label, value string) (histogram, error) {
	var h histogram
	want := fmt.Sprintf("%s=%q", label, value)
	err := scrape(ctx, url, func(series, v string) error {
		if !strings.HasPrefix(series, name+"_") || !strings.Contains(series, want) {
			return nil
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%s: %w", series, err)
		}
		switch {
		case strings.HasPrefix(series, name+"_bucket{"):
			_, le, _ := strings.Cut(series, `le="`)
			le, _, _ = strings.Cut(le, `"`)
			bound, err := strconv.ParseFloat(le, 64) // ParseFloat reads "+Inf"
			if err != nil {
				return fmt.Errorf("%s: %w", series, err)
			}
			h.bounds = append(h.bounds, bound)
			h.counts = append(h.counts, x)
		case strings.HasPrefix(series, name+"_sum{"):
			h.sum = x
		}
		return nil
	})
	if err != nil {
		return histogram{}, err
	}
	if len(h.bounds) == 0 || !slices.IsSorted(h.bounds) {
		return histogram{}, fmt.Errorf("%s has no %s{%s} buckets in order", url, name, want)
	}
	return h, nil
}

// scrapeCounter reads the unlabelled counter name from the Prometheus text at url.
func scrapeCounter(ctx context.Context, url, name string) (float64, error) {
	found := false
	var x float64
	err := scrape(ctx, url, func(series, v string) (err error) {
		if series != name && series != name+"{}" {
			return nil
		}
		found = true
		if x, err = strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("%s: %w", series, err)
		}
		return nil
	})
	if err == nil && !found {
		err = fmt.Errorf("%s has no %s", url, name)
	}
	return x, err
}

// scrape calls each with every sample line's series and value (as written) in the Prometheus
// text at url.
// Our own reading of the text format's sample lines rather than prometheus/common's expfmt
// parser: loadgen needs two series, and expfmt would make two libraries direct dependencies
// of the module.
func scrape(ctx context.Context, url string, each func(series, value string) error) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() {
		line := lines.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		// A label's value may hold spaces: the series ends at its closing brace, if it has labels.
		end := strings.LastIndexByte(line, '}') + 1
		if end == 0 {
			end = strings.IndexByte(line, ' ')
		}
		if end <= 0 {
			continue
		}
		fields := strings.Fields(line[end:]) // the value, then an optional timestamp
		if len(fields) == 0 {
			continue
		}
		if err := each(line[:end], fields[0]); err != nil {
			return err
		}
	}
	return lines.Err()
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
