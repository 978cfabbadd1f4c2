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
	m.LeasesTaken.Add(3)
	m.LeasesRebalanced.Add(2)
	m.SetShardLag("shardId-000000000001", 250)
	m.SetShardLag("shardId-000000000000", 0)
	m.SetShardLag("shardId-000000000002", 9)
	m.DropShard("shardId-000000000002")
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
		"orchestrator_leases_taken_total 3\n",
		"orchestrator_leases_lost_total{reason=\"expired\"} 0\n" +
			"orchestrator_leases_lost_total{reason=\"rebalanced\"} 2\n",
		"# TYPE orchestrator_shard_millis_behind_latest gauge\n" +
			"orchestrator_shard_millis_behind_latest{shard_id=\"shardId-000000000000\"} 0\n" +
			"orchestrator_shard_millis_behind_latest{shard_id=\"shardId-000000000001\"} 250\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "000000000002") {
		t.Errorf("a dropped shard is still reported:\n%s", body)
	}
}
