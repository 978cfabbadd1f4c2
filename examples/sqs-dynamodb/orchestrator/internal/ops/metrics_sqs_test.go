package ops

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The SQS consumer's own series: messages its acknowledgements failed for, by call, each
// call's series present from the start so an alert on its rate has one to read.
func TestSQSMetricsInPrometheusTextFormat(t *testing.T) {
	m := &Metrics{}
	m.DeleteFailures.Add(3)
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)

	body := get(t, NewHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), func() error { return nil }, nil), "/metrics").Body.String()
	want := "# TYPE orchestrator_acknowledge_failures_total counter\n" +
		"orchestrator_acknowledge_failures_total{call=\"" + CallChangeMessageVisibilityBatch + "\"} 0\n" +
		"orchestrator_acknowledge_failures_total{call=\"" + CallDeleteMessageBatch + "\"} 3\n"
	if !strings.Contains(body, want) {
		t.Errorf("metrics lack %q:\n%s", want, body)
	}
}
