package telemetry

import "github.com/prometheus/client_golang/prometheus"

// Desc describes the table's metric name for a custom collector (counters the queue pipeline
// keeps itself and reports when scraped); variable labels are the table's. Only the queue
// ingresses have such metrics, so the HTTP API's orchestrator is generated without this file.
func Desc(name string) *prometheus.Desc {
	d := lookup(name)
	return prometheus.NewDesc(d.name, d.help, d.labels, nil)
}
