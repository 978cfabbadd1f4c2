package telemetry

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics come from prometheus/client_golang rather than OpenTelemetry metrics behind its
// Prometheus exporter: the exposition carries exactly the names and labels of the table (the
// exporter adds scope labels and rewrites names), the Go runtime and process collectors come
// with it, and an observation is a few atomic adds, with nothing to set up at start.

// processMetrics holds the metrics that exist once per process: Go runtime and process
// metrics, and the package-level metrics NewHistogram, NewCounter and NewGauge make, which Go
// initialises exactly once. Its own registry rather than client_golang's global one, so a
// library's metrics do not appear without being chosen. Unexported, so nothing a run
// constructs can register here: a second run in the same process (a test run twice, -count=2)
// would panic on the duplicate. What a run constructs goes to Handler instead.
var processMetrics = prometheus.NewRegistry()

func init() {
	processMetrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// DurationBuckets are the OpenTelemetry semantic conventions' advised boundaries for request
// durations, in seconds.
var DurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// AgeBuckets are boundaries for how far consuming is behind: 10 ms to about 45 minutes, each
// four times the last, as a backlog grows by orders of magnitude rather than by steps.
var AgeBuckets = prometheus.ExponentialBuckets(0.01, 4, 12)

// CountBuckets are boundaries for batch sizes: powers of two up to 1024.
var CountBuckets = prometheus.ExponentialBuckets(1, 2, 11)

type doc struct {
	name, help string
	labels     []string
}

func lookup(name string) doc {
	for _, d := range docs {
		if d.name == name {
			return d
		}
	}
	panic(fmt.Sprintf("telemetry: metric %q is not in names.go's docs", name))
}

// NewHistogram registers the table's histogram name for the whole process: call it only to
// initialise a package-level variable.
func NewHistogram(name string, buckets []float64) *prometheus.HistogramVec {
	d := lookup(name)
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: d.name, Help: d.help, Buckets: buckets}, d.labels)
	processMetrics.MustRegister(h)
	return h
}

// NewCounter registers the table's counter name for the whole process: call it only to
// initialise a package-level variable.
func NewCounter(name string) *prometheus.CounterVec {
	d := lookup(name)
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: d.name, Help: d.help}, d.labels)
	processMetrics.MustRegister(c)
	return c
}

// Handler serves the process's metrics and a run's own collectors (the queue consumer's
// counters) in Prometheus' exposition formats. The run's collectors go on a registry of this
// handler's, so each run in a process has its own and none outlives it.
func Handler(own ...prometheus.Collector) http.Handler {
	run := prometheus.NewRegistry()
	run.MustRegister(own...)
	return promhttp.HandlerFor(prometheus.Gatherers{processMetrics, run}, promhttp.HandlerOpts{})
}
