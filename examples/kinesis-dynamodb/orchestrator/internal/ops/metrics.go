package ops

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Metrics are the consumer's counters. They are plain atomics rather than a metrics
// library: a handful of counters in Prometheus' text format needs no dependency.
type Metrics struct {
	// Processed counts requests scored and stored.
	Processed atomic.Int64
	// Failed counts requests whose handling failed and went back to be tried again
	// (SQS: redelivered after the visibility timeout; Kinesis: the shard retries them).
	Failed atomic.Int64
	// Retried counts retries of worker and sink calls after transient failures.
	Retried atomic.Int64
	// DeadLettered counts poison messages: unparseable or invalid requests, moved to the
	// dead-letter queue (SQS) or table (Kinesis).
	DeadLettered atomic.Int64
	// Conflicts counts requests whose id was stored already for a different request: recorded
	// on the stored result, and dead-lettered too (SQS).
	Conflicts atomic.Int64
	// LeasesTaken, LeasesLost and LeasesReleasedOnError count Kinesis shard leases taken, found
	// taken by another replica, and given up after too many failures in a row.
	LeasesTaken           atomic.Int64
	LeasesLost            atomic.Int64
	LeasesReleasedOnError atomic.Int64

	mu  sync.Mutex
	lag map[string]int64 // Kinesis shard id → milliseconds behind the tip
}

// SetShardLag records how far behind the tip of the stream a shard's reader is.
func (m *Metrics) SetShardLag(shard string, millis int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lag == nil {
		m.lag = make(map[string]int64)
	}
	m.lag[shard] = millis
}

// DropShard forgets a shard that has been read to its end, so closed shards do not linger as series.
func (m *Metrics) DropShard(shard string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.lag, shard)
}

type counter struct {
	name, help string
	value      *atomic.Int64
}

func (m *Metrics) counters() []counter {
	return []counter{
		{"orchestrator_messages_processed_total", "Requests scored and stored.", &m.Processed},
		{"orchestrator_messages_failed_total", "Requests whose handling failed and will be tried again.", &m.Failed},
		{"orchestrator_retries_total", "Retries of worker and sink calls after transient failures.", &m.Retried},
		{"orchestrator_messages_dead_lettered_total", "Poison messages dead-lettered.", &m.DeadLettered},
		{"orchestrator_conflicts_total", "Requests whose id was already stored for a different request.", &m.Conflicts},
		{"orchestrator_leases_taken_total", "Kinesis shard leases taken.", &m.LeasesTaken},
		{"orchestrator_leases_lost_total", "Kinesis shard leases found taken by another replica.", &m.LeasesLost},
		{"orchestrator_leases_released_on_error_total", "Kinesis shard leases given up after too many failures in a row.", &m.LeasesReleasedOnError},
	}
}

// WriteText writes the metrics in Prometheus' text exposition format.
func (m *Metrics) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, c := range m.counters() {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", c.name, c.help, c.name, c.name, c.value.Load())
	}
	m.mu.Lock()
	lag := maps.Clone(m.lag)
	m.mu.Unlock()
	if len(lag) > 0 {
		const name = "orchestrator_shard_millis_behind_latest"
		fmt.Fprintf(&b, "# HELP %s How far each shard's reader is behind the tip of the stream.\n# TYPE %s gauge\n", name, name)
		for _, shard := range slices.Sorted(maps.Keys(lag)) {
			fmt.Fprintf(&b, "%s{shard_id=%q} %d\n", name, shard, lag[shard])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// LogValue makes the counters one structured log attribute.
func (m *Metrics) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("processed", m.Processed.Load()),
		slog.Int64("failed", m.Failed.Load()),
		slog.Int64("retried", m.Retried.Load()),
		slog.Int64("dead_lettered", m.DeadLettered.Load()),
		slog.Int64("conflicts", m.Conflicts.Load()),
	)
}

// LogEvery logs the counters every interval until ctx is done, so a deployment without a
// metrics scraper still sees throughput and failures in its logs.
func (m *Metrics) LogEvery(ctx context.Context, logger *slog.Logger, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			logger.Info("counters", "counters", m)
		}
	}
}
