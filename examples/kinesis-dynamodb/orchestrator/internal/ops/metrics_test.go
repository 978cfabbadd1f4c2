package ops

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestMetricsInPrometheusTextFormat(t *testing.T) {
	m := &Metrics{}
	m.Processed.Add(12)
	m.StoredBefore.Add(4)
	m.DeadLettered.Add(1)
	m.Conflicts.Add(2)
	m.CanariesScored.Add(3)
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)

	rec := get(t, NewHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), func() error { return nil }, nil), "/metrics")
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	body := rec.Body.String()
	for _, want := range []string{
		"# TYPE orchestrator_messages_processed_total counter\norchestrator_messages_processed_total 12\n",
		"orchestrator_messages_stored_before_total 4\n",
		"orchestrator_messages_failed_total 0\n",
		"orchestrator_retries_total 0\n",
		"orchestrator_messages_dead_lettered_total 1\n",
		"orchestrator_conflicts_total 2\n",
		`orchestrator_canaries_total{outcome="scored"} 3` + "\n",
		`orchestrator_canaries_total{outcome="failed"} 0` + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}
