package ops

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
)

// Metrics are the consumer's counters, plain atomics that the pipeline and the consumers add
// to and that tests read; served by the run's telemetry.Handler, they appear on /metrics.
type Metrics struct {
	// Processed counts requests scored and stored, each once: when its result is first stored
	// (with the log sink, which keeps nothing to compare with, every result it logs).
	Processed atomic.Int64
	// StoredBefore counts requests scored again whose result an earlier delivery had stored
	// (a queue redelivery): the stored result stands and nothing is written.
	StoredBefore atomic.Int64
	// Failed counts requests whose handling failed and went back to be tried again
	// (SQS: redelivered after the visibility timeout; Kinesis: the shard retries them).
	Failed atomic.Int64
	// Retried counts retries of worker and sink calls after transient failures.
	Retried atomic.Int64
	// Throttled counts AWS calls throttled, each tried again after a backoff (see the
	// consumers' loops and the pipeline's store): routine under load, so logged at DEBUG.
	Throttled atomic.Int64
	// DeadLettered counts poison messages: unparseable or invalid requests, moved to the
	// dead-letter queue (SQS) or table (Kinesis).
	DeadLettered atomic.Int64
	// Conflicts counts requests whose id was stored already for a different request: recorded
	// on the stored result, and dead-lettered too (SQS).
	Conflicts atomic.Int64
	// CanariesScored and CanariesFailed count the canaries (pipeline.Isolation) the worker
	// scored and failed: each one a Score call no message asked for, sent because records
	// failed alone with nothing else scored.
	CanariesScored atomic.Int64
	CanariesFailed atomic.Int64
	// LeasesTaken, LeasesLost and LeasesReleasedOnError count Kinesis shard leases taken, found
	// taken by another replica after this one's renewals had stopped landing (a real loss), and
	// given up after too many failures in a row. LeasesRebalanced counts those taken from this
	// replica while it was renewing them, by the balancing rule: routine, not an incident.
	LeasesTaken           atomic.Int64
	LeasesLost            atomic.Int64
	LeasesRebalanced      atomic.Int64
	LeasesReleasedOnError atomic.Int64
	// DeadLetterFailures counts Kinesis poison records the dead-letter table refused with an
	// error retrying cannot fix: their shard pauses until the table takes them.
	DeadLetterFailures atomic.Int64
	// ShardsAgedOut counts Kinesis shards that aged out of the stream's retention before they
	// were read to their end: the records after their checkpoint were lost.
	ShardsAgedOut atomic.Int64
	// DeleteFailures counts SQS messages a delete left undeleted after its retries, to be
	// redelivered; VisibilityFailures those a visibility change (an extension or a release)
	// failed for, which may reappear to other consumers before they are done.
	DeleteFailures     atomic.Int64
	VisibilityFailures atomic.Int64

	mu  sync.Mutex
	lag map[string]int64 // Kinesis shard id → milliseconds behind the tip

	once  sync.Once
	descs map[string]*prometheus.Desc // the table's metrics, by name
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

// The SQS calls whose failures DeleteFailures and VisibilityFailures count, as the call label
// of their series and readiness's reasons name them.
const (
	CallDeleteMessageBatch           = "DeleteMessageBatch"
	CallChangeMessageVisibilityBatch = "ChangeMessageVisibilityBatch"
)

// counter is one of the Metrics' counters with the table's name for it, and its label values
// when the table gives it labels.
type counter struct {
	desc   *prometheus.Desc
	value  *atomic.Int64
	labels []string
}

func (m *Metrics) counters() []counter {
	m.once.Do(func() {
		m.descs = map[string]*prometheus.Desc{}
		for _, name := range []string{
			telemetry.OrchestratorMessagesProcessedTotal, telemetry.OrchestratorMessagesStoredBeforeTotal,
			telemetry.OrchestratorMessagesFailedTotal,
			telemetry.OrchestratorRetriesTotal, telemetry.OrchestratorThrottledCallsTotal, telemetry.OrchestratorMessagesDeadLetteredTotal,
			telemetry.OrchestratorConflictsTotal, telemetry.OrchestratorCanariesTotal,
			telemetry.OrchestratorAcknowledgeFailuresTotal,
		} {
			m.descs[name] = telemetry.Desc(name)
		}
	})
	cs := []counter{
		{desc: m.descs[telemetry.OrchestratorMessagesProcessedTotal], value: &m.Processed},
		{desc: m.descs[telemetry.OrchestratorMessagesStoredBeforeTotal], value: &m.StoredBefore},
		{desc: m.descs[telemetry.OrchestratorMessagesFailedTotal], value: &m.Failed},
		{desc: m.descs[telemetry.OrchestratorRetriesTotal], value: &m.Retried},
		{desc: m.descs[telemetry.OrchestratorThrottledCallsTotal], value: &m.Throttled},
		{desc: m.descs[telemetry.OrchestratorMessagesDeadLetteredTotal], value: &m.DeadLettered},
		{desc: m.descs[telemetry.OrchestratorConflictsTotal], value: &m.Conflicts},
		{desc: m.descs[telemetry.OrchestratorCanariesTotal], value: &m.CanariesScored, labels: []string{"scored"}},
		{desc: m.descs[telemetry.OrchestratorCanariesTotal], value: &m.CanariesFailed, labels: []string{"failed"}},
	}
	cs = append(cs,
		counter{desc: m.descs[telemetry.OrchestratorAcknowledgeFailuresTotal], value: &m.DeleteFailures, labels: []string{CallDeleteMessageBatch}},
		counter{desc: m.descs[telemetry.OrchestratorAcknowledgeFailuresTotal], value: &m.VisibilityFailures, labels: []string{CallChangeMessageVisibilityBatch}},
	)
	return cs
}

// Describe and Collect make Metrics a prometheus.Collector: the counters stay plain atomics
// where the work happens, and client_golang writes the exposition at each scrape.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	sent := map[*prometheus.Desc]bool{}
	for _, c := range m.counters() {
		if !sent[c.desc] {
			sent[c.desc] = true
			ch <- c.desc
		}
	}
}

// Collect reports the counters' current values.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.counters() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(c.value.Load()), c.labels...)
	}
}

// LogValue makes the counters one structured log attribute.
func (m *Metrics) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("processed", m.Processed.Load()),
		slog.Int64("stored_before", m.StoredBefore.Load()),
		slog.Int64("failed", m.Failed.Load()),
		slog.Int64("retried", m.Retried.Load()),
		slog.Int64("throttled", m.Throttled.Load()),
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
