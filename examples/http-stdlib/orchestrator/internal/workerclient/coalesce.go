package workerclient

import (
	"context"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/telemetry"
	"example.com/http-stdlib/orchestrator/internal/validation"
)

// Caller is what a Coalescer sends its calls through; *Client is one.
type Caller interface {
	Score(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error)
	ScoreBatch(context.Context, *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error)
	Health() Health
}

// CoalesceOptions tunes a Coalescer; the zero value of each field picks a default.
type CoalesceOptions struct {
	// Off sends every Score on its own, as if there were no Coalescer (COALESCE=off).
	Off bool
	// CallTimeout bounds each single request from arrival to answer, its wait in the queue
	// included, as it bounds a call of its own. Default 2s.
	CallTimeout time.Duration
	// MaxBatch caps the requests of one coalesced call. Default, and ceiling, the contract's
	// validation.MaxBatchSize.
	MaxBatch int
	// MaxQueue caps the requests waiting; past it Score fails at once with RESOURCE_EXHAUSTED.
	// Default 2 × MaxBatch.
	MaxQueue int
	// MaxInFlight caps the calls out at once: a batch that fills goes out without waiting for
	// the call in flight while fewer than this are out. Default 4.
	MaxInFlight int
	// Name is the worker's name in metrics.
	Name string
}

// Coalescer puts single requests for one worker into shared ScoreBatch calls under load,
// and never holds one back when the worker is idle: with no call of this worker in flight,
// Score goes out at once, alone, so light traffic pays nothing; while a call is in flight,
// requests wait in a bounded queue and go out together, as one ScoreBatch asking for
// per-item results, when that call returns (or at once when MaxBatch of them are waiting).
// A busy worker's round trip is then paid once per batch rather than once per request.
//
// Why not a timer that waits a few milliseconds for company (the usual batching knob): it
// adds that wait to every request at light load, and under load the in-flight call is a
// better clock, since it is exactly how long the requests would have queued anyway.
//
// Every caller keeps its own deadline (CallTimeout from arrival, or its context's if
// sooner): one that expires while queued is taken out and gets DEADLINE_EXCEEDED; one that
// expires while its batch is out gets it at once, and the batch's answer for it is dropped.
// A batch's call lasts until its latest member's deadline, or until every member has left.
// Each caller gets its own response, or its own error: an item the worker refuses fails that
// caller alone. Score and ScoreBatch calls made through it count as in flight; ScoreBatch
// passes straight through.
// It is safe for concurrent use.
type Coalescer struct {
	next Caller
	opts CoalesceOptions

	mu       sync.Mutex
	queue    []*waiter
	inFlight int  // calls out, alone or batched
	closed   bool // Close was called: no new requests
	calls    sync.WaitGroup
}

// waiter is one caller's request while it waits for a coalesced call.
type waiter struct {
	ctx  context.Context
	req  *scoringv1.ScoreRequest
	done chan outcome // buffered: the sender never blocks on a caller that left
}

type outcome struct {
	resp *scoringv1.ScoreResponse
	err  error
}

var coalescedBatchSize = telemetry.NewHistogram(telemetry.OrchestratorCoalescedBatchSize, telemetry.CountBuckets)

// NewCoalescer coalesces the single requests sent to next.
func NewCoalescer(next Caller, opts CoalesceOptions) *Coalescer {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 2 * time.Second
	}
	if opts.MaxBatch <= 0 || opts.MaxBatch > validation.MaxBatchSize {
		opts.MaxBatch = validation.MaxBatchSize
	}
	if opts.MaxQueue <= 0 {
		opts.MaxQueue = 2 * opts.MaxBatch
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 4
	}
	return &Coalescer{next: next, opts: opts}
}

// Health is the worker's, as its client last learned it.
func (c *Coalescer) Health() Health { return c.next.Health() }

// ScoreBatch sends a caller's own batch as it is, counted as a call in flight.
func (c *Coalescer) ScoreBatch(ctx context.Context, req *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	if !c.opts.Off && !c.begin() {
		return nil, ErrClosed
	}
	resp, err := c.next.ScoreBatch(ctx, req)
	if !c.opts.Off {
		c.end()
	}
	return resp, err
}

// Score scores one request: at once and alone when the worker has no call in flight,
// else in the next coalesced batch.
func (c *Coalescer) Score(ctx context.Context, req *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	if c.opts.Off {
		coalescedBatchSize.WithLabelValues(c.opts.Name).Observe(1)
		return c.next.Score(ctx, req)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return nil, ErrClosed
	case c.inFlight == 0 && len(c.queue) == 0:
		c.inFlight++
		c.calls.Add(1)
		c.mu.Unlock()
		coalescedBatchSize.WithLabelValues(c.opts.Name).Observe(1)
		resp, err := c.next.Score(ctx, req)
		c.end()
		return resp, err
	case len(c.queue) >= c.opts.MaxQueue:
		c.mu.Unlock()
		return nil, ErrQueueFull
	}
	w := &waiter{ctx: ctx, req: req, done: make(chan outcome, 1)}
	c.queue = append(c.queue, w)
	if len(c.queue) >= c.opts.MaxBatch && c.inFlight < c.opts.MaxInFlight {
		c.inFlight++
		c.calls.Add(1)
		batch := c.take()
		go c.send(batch)
	}
	c.mu.Unlock()
	select {
	case o := <-w.done:
		return o.resp, o.err
	case <-ctx.Done():
		c.mu.Lock()
		if i := slices.Index(c.queue, w); i >= 0 {
			c.queue = slices.Delete(c.queue, i, i+1)
		}
		c.mu.Unlock()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

// Close refuses new requests and waits until every queued one has been answered and every
// call made through the Coalescer has returned.
func (c *Coalescer) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.calls.Wait()
}

// The Coalescer's own refusals, made before any worker sees the call; their codes are those
// of a worker's refusals alike (a full queue is load, so RESOURCE_EXHAUSTED, retried with
// backoff), and errors.Is tells them apart from the worker's for a caller that reports who
// refused.
var (
	// ErrQueueFull is Score refused because MaxQueue requests already wait for the worker.
	ErrQueueFull = status.Error(codes.ResourceExhausted, "orchestrator: the queue of requests for the worker is full; retry with backoff")
	// ErrClosed is a call after Close.
	ErrClosed = status.Error(codes.Unavailable, "orchestrator is shutting down")
)

// begin counts a call in flight, unless the Coalescer is closed.
func (c *Coalescer) begin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.inFlight++
	c.calls.Add(1)
	return true
}

// end follows a call's return: the requests that queued meanwhile go out, in the returning
// call's slot, or the slot is given up.
func (c *Coalescer) end() {
	c.mu.Lock()
	batch := c.take()
	if len(batch) == 0 {
		c.inFlight--
		c.mu.Unlock()
		c.calls.Done()
		return
	}
	// The slot passes to the batch: its call is counted already.
	c.mu.Unlock()
	go c.send(batch)
}

// take removes up to MaxBatch waiting requests from the queue, skipping callers already gone.
// The caller holds c.mu.
func (c *Coalescer) take() []*waiter {
	var batch []*waiter
	n := 0
	for ; n < len(c.queue) && len(batch) < c.opts.MaxBatch; n++ {
		if w := c.queue[n]; w.ctx.Err() == nil {
			batch = append(batch, w)
		}
	}
	c.queue = slices.Delete(c.queue, 0, n)
	return batch
}
