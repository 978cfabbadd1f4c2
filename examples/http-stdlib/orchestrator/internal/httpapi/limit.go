package httpapi

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// The adaptive part of admission: how many of the in-flight budget's bytes may be in use at
// once right now.
//
// Why it moves: a fixed budget admits all the work it allows, and past the orchestrator's
// peak all of it queues for the same cores, so by Little's law an accepted request waits
// budget ÷ throughput. `make bench`'s HTTP overload row (x100 batches at twice the route's
// peak, orchestrator and worker pinned to one core) measured the accepted p99 at 21–31× the
// unloaded p99 (187–220 ms) with the fixed default of 1 MiB per core: about 35 batches queued
// per core. A smaller fixed budget would idle the cores of an orchestrator whose worker is a
// network hop away. With this limit (its floor then 64 KiB a core), three alternated pairs of
// that row measured the accepted p99 at 1.5–1.6× the unloaded p99 (16–23 ms, against 54–136 ms
// fixed), 429s at 10–14 ms p99 (against 49–113 ms), for 0.93–1.13× the fixed budget's accepted
// calls.
//
// So the limit moves, with the rule the workers use (workers/NAME/src/shed/limit.rs):
// Netflix concurrency-limits' GradientLimit, after TCP Vegas. Each request answered 200
// reports its time from admission to its answer per unit of its cost (costUnitBytes of body);
// against the least such time seen lately (the baseline),
// gradient = limitTolerance × baseline ÷ sample, kept within [0.5, 1]; the limit moves
// towards limit × gradient + √limit by limitSmoothing of the way per sample, within
// [floor, MAX_IN_FLIGHT_BYTES]. Like the workers' and unlike concurrency-limits, it grows
// whenever requests run within the tolerance, however few are in flight: a limit learned in an
// overload must not stay at its floor and refuse the bursts of the light load after it (the
// workers' did, in `make bench`'s fixed-rate phases right after its saturating ones), and the
// ceiling is the operator's budget, so growing back to it unused costs nothing the fixed
// budget did not.
//
// Latency alone misses a worker that sheds: its refusals come back fast and are not samples,
// so the limit stayed where the worker refused a share of what it admitted. `make bench`'s
// HTTP overload row (pinned, orchestrator and worker on one core) measured 2398 of 3358 429s
// as the worker's, each body read, decoded and sent first: the orchestrator's core went to
// requests it then refused, and its 429s took 17.6 ms at p99. So a worker's refusal (backoff)
// also lowers the limit, by backoffRatio, as concurrency-limits' AIMDLimit does on a drop, and
// below the floor if need be: past what the worker takes, more in flight is only work to
// throw away. The latency rule then never pushes it lower, and lifts it as 200s arrive.
// Six alternated pairs of that row (three runs each, pinned the same way, a busy machine),
// medians: the worker's refusals 385 a pair against 2467, 429s at 5.7 ms p99 against
// 18.7 ms, accepted p99 11.5 ms against 30.0 ms, goodput 813 calls/s against 622.
//
// Our own rather than a module: the Go port of concurrency-limits
// (github.com/platinummonkey/go-concurrency-limits) counts requests, not their cost, and here
// a 1,000-item batch must weigh more than a single score; the rule is a few lines.

// limitTolerance is how much longer than the baseline a request may take, per unit of cost,
// before the limit falls: three times, as the workers (concurrency-limits uses twice), for
// the same room for shapes of traffic and a noisy machine (see costUnitBytes).
const limitTolerance = 3.0

// limitSmoothing is the share of the way to the new limit moved per sample
// (concurrency-limits' default).
const limitSmoothing = 0.2

// baselineWindow is how long a least time stays the baseline: the baseline is the lesser of
// this window's least and the previous one's, so a faster past is forgotten within two.
const baselineWindow = 10 * time.Second

// backoffRatio is what a worker's refusal multiplies the limit by (concurrency-limits'
// AIMDLimit default): ten refusals in a row take it to a third.
const backoffRatio = 0.9

// costUnitBytes is a request's unit of cost: its body's bytes over this, at least 1. Why
// 4 KiB: the unit at which, per unit, a single score and a 100-item batch take about the
// same time (`make bench`, pinned: p50 0.85 ms for a single score of about 250 bytes, one
// unit; 4.0 ms for a batch of about 24 KB, six units), so that mixed traffic alone does not
// read as a slowdown. Per 1 KiB the batch would seem five times faster than a single score.
const costUnitBytes = 4 << 10

// FloorBytesPerCore is the least the adaptive limit admits per core (GOMAXPROCS), unless the
// whole budget is smaller: about ten 100-item batches. Two would keep a core busy; the rest is
// room for the bursts of light traffic while the limit is low, as it is just after an overload
// (at 100 batches a second, ten overlap only when answers stall for about 100 ms).
const FloorBytesPerCore = 256 << 10

// gradientLimit is the adaptive limit, held in units of costUnitBytes so that it grows by the
// square root of a queue of requests, not of bytes. Reads are lock-free; samples take a lock.
type gradientLimit struct {
	bytes          atomic.Int64
	floor, ceiling float64 // units of cost
	ceilingBytes   int64

	mu          sync.Mutex
	limit       float64
	windowStart time.Time
	least       float64 // least seconds per unit of cost in this window
	leastBefore float64 // and in the previous one
}

// newGradientLimit returns a limit between floor and ceiling bytes (floor at most ceiling),
// starting at the ceiling: a fresh orchestrator admits what the fixed budget did until its
// requests say otherwise.
func newGradientLimit(floor, ceiling int64) *gradientLimit {
	c := math.Max(float64(ceiling)/costUnitBytes, 1)
	l := &gradientLimit{
		floor: math.Min(math.Max(float64(floor)/costUnitBytes, 1), c), ceiling: c, ceilingBytes: ceiling,
		limit: c, windowStart: time.Now(), least: math.Inf(1), leastBefore: math.Inf(1),
	}
	l.bytes.Store(ceiling)
	return l
}

// current is the request body bytes that may be in flight at once now.
func (l *gradientLimit) current() int64 { return l.bytes.Load() }

// observe takes a sample: a request of n body bytes took elapsed from admission to its answer.
func (l *gradientLimit) observe(elapsed time.Duration, n int64) {
	sample := elapsed.Seconds() / math.Max(float64(n)/costUnitBytes, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.windowStart) >= baselineWindow {
		l.windowStart = time.Now()
		l.leastBefore, l.least = l.least, math.Inf(1)
	}
	l.least = math.Min(l.least, sample)
	next := nextLimit(l.limit, math.Min(l.least, l.leastBefore), sample)
	// Under the floor only by backoff, which the latency rule leaves to grow back.
	l.set(math.Max(next, math.Min(l.floor, l.limit)))
}

// backoff takes a worker's refusal for load of an admitted request: the worker takes less
// than the limit lets through, so the limit falls by backoffRatio, to one unit at the least
// (admission still lets a request through when nothing is in flight).
func (l *gradientLimit) backoff() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.set(math.Max(l.limit*backoffRatio, 1))
}

// set makes limit, clamped to the ceiling, the limit; l.mu is held.
func (l *gradientLimit) set(limit float64) {
	l.limit = math.Min(limit, l.ceiling)
	// A budget under one unit keeps its own size, not the unit's.
	l.bytes.Store(min(int64(l.limit*costUnitBytes), l.ceilingBytes))
}

// nextLimit is one step of the gradient rule, unclamped; limit is in units of cost, baseline
// and sample in seconds per unit.
func nextLimit(limit, baseline, sample float64) float64 {
	if !(sample > 0) {
		return limit
	}
	gradient := math.Min(math.Max(limitTolerance*baseline/sample, 0.5), 1)
	return limit + limitSmoothing*(limit*gradient+math.Sqrt(limit)-limit)
}
