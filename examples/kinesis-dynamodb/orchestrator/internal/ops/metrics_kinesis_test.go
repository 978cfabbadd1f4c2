package ops

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The Kinesis consumer's own series: leases by how they were lost, and each shard's lag until
// the shard is dropped.
func TestKinesisMetricsInPrometheusTextFormat(t *testing.T) {
	m := &Metrics{}
	m.LeasesTaken.Add(3)
	m.LeasesRebalanced.Add(2)
	m.SetShardLag("shardId-000000000001", 250)
	m.SetShardLag("shardId-000000000000", 0)
	m.SetShardLag("shardId-000000000002", 9)
	m.DropShard("shardId-000000000002")
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)

	body := get(t, NewHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), func() error { return nil }, nil), "/metrics").Body.String()
	for _, want := range []string{
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
