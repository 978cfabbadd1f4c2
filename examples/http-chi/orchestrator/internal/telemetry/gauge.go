package telemetry

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// NewGauge registers the table's gauge name, which has no labels, for the whole process: call
// it only to initialise a package-level variable.
func NewGauge(name string) prometheus.Gauge {
	d := lookup(name)
	if len(d.labels) > 0 {
		panic(fmt.Sprintf("telemetry: gauge %q has labels %v: use a GaugeVec", name, d.labels))
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: d.name, Help: d.help})
	processMetrics.MustRegister(g)
	return g
}
