package pipeline

import (
	"context"
	"log/slog"
	"sync"

	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
)

// SinkHealth tracks whether the sink takes writes. A consumer that kept receiving while the
// sink is down would fail every message, and on SQS every such receive counts towards the
// redrive policy's maxReceiveCount: an outage longer than maxReceiveCount visibility timeouts
// would dead-letter healthy traffic. So a failure to store closes the gate (Err is non-nil),
// Watch probes the sink with backoff, and the first probe that succeeds opens it again.
type SinkHealth struct {
	// Probe checks the sink without storing anything; results.Sink's Probe is one.
	Probe func(context.Context) error
	// Retry paces the probes.
	Retry  Retry
	Logger *slog.Logger

	mu       sync.Mutex
	err      error // nil while healthy
	once     sync.Once
	down     chan struct{}
	failures workerclient.FailureLog // paces the WARNs of failed probes, which come with backoff
}

func (h *SinkHealth) init() {
	h.once.Do(func() { h.down = make(chan struct{}, 1) })
}

// Err is nil while the sink is taken to be healthy, else the last failure.
func (h *SinkHealth) Err() error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// Failed reports a failure to store. A nil *SinkHealth ignores it.
func (h *SinkHealth) Failed(err error) {
	if h == nil {
		return
	}
	h.init()
	h.mu.Lock()
	wasHealthy := h.err == nil
	h.err = err
	h.mu.Unlock()
	if wasHealthy {
		h.Logger.Error("results sink failing: consuming stops until a probe succeeds", "error", err)
		select {
		case h.down <- struct{}{}:
		default: // Watch has been told already.
		}
	}
}

// Watch probes the sink after each failure until a probe succeeds, until ctx is done.
func (h *SinkHealth) Watch(ctx context.Context) {
	h.init()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.down:
		}
		for attempt := 1; ; attempt++ {
			if h.Retry.Wait(ctx, attempt) != nil {
				return
			}
			err := h.Probe(ctx)
			h.mu.Lock()
			h.err = err
			h.mu.Unlock()
			if err == nil {
				h.Logger.Info("results sink healthy again: consuming resumes", "probes", attempt)
				break
			}
			// The gate's closing was logged at ERROR: each probe after is routine when throttled,
			// and WARN at most once a second otherwise (workerclient.FailureLog).
			h.Logger.Log(ctx, h.failures.Outcome(awsenv.Throttled(err)), "results sink still failing", "error", err, "probes", attempt)
		}
	}
}
