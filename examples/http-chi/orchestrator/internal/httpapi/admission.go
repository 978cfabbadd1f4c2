package httpapi

import (
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"example.com/http-chi/orchestrator/internal/telemetry"
)

// DefaultInFlightBytesPerCore is the API's in-flight budget per core (GOMAXPROCS) unless
// Config.MaxInFlightBytes sets one.
//
// Why a budget at all: decoding JSON is the orchestrator's expensive work, and net/http starts
// every request it is sent. Past its peak, an orchestrator without one decodes ever more
// bodies at once, each more slowly, and the worker's refusals come back after the deadlines:
// `make bench`'s HTTP overload row (x100 batches at twice the route's peak, pinned, 2 cores)
// kept 0.15 of the peak as goodput, with 429s taking 2.2 s at p99 and 181 calls timed out.
// With this budget a request past it is answered 429 before its body is decoded, and the same
// row kept 0.98 of the peak, with 429s at 44 ms p99 and none timed out (one run each; the
// second with other work on the machine, so if anything a harder case). Why 1 MiB: it is the
// ceiling of the adaptive limit (gradientLimit), where a fresh orchestrator starts: about 35
// of the bench's x100 batches per core, several times what one core decodes in a worker
// call's time even with the worker a network hop away; the limit falls from it while
// requests queue.
const DefaultInFlightBytesPerCore = 1 << 20

// admissionLimit shows the adaptive limit of the API's latest admission (one per process).
var admissionLimit = telemetry.NewGauge(telemetry.OrchestratorAdmissionLimitBytes)

// admission is the API's in-flight budget, in request body bytes (the cost of decoding), and
// within it the adaptive limit (gradientLimit) that keeps requests from queueing past it.
// A request is charged the bytes of its body once they are read, so a slow or chunked upload
// holds none of the budget while it arrives (held bounds the memory it takes meanwhile); before the read, precheck refuses what could not be charged
// now anyway. A counter rather than golang.org/x/sync/semaphore: nothing ever waits here (a
// request past the budget is refused, not queued), so Weighted's queue of waiters would go
// unused, and a refuse-only weighted count is one compare-and-swap loop.
type admission struct {
	inFlight atomic.Int64
	capacity int64
	limit    *gradientLimit
	held     heldBodies // bodies in memory, arriving or admitted: a bound the budget is not
}

func newAdmission(capacity int64) *admission {
	cores := int64(runtime.GOMAXPROCS(0))
	if capacity <= 0 {
		capacity = cores * DefaultInFlightBytesPerCore
	}
	a := &admission{capacity: capacity, limit: newGradientLimit(cores*FloorBytesPerCore, capacity)}
	a.held.bound = heldBodiesPerBudget * capacity
	admissionLimit.Set(float64(a.limit.current()))
	return a
}

// cost is what n body bytes are charged: at least 1, at most the whole budget, so an empty
// body still counts.
func (a *admission) cost(n int64) int64 { return min(max(n, 1), a.capacity) }

// fits reports whether n more bytes may be admitted with cur in flight: within the adaptive
// limit, or anything at all when nothing is in flight, so any valid body runs on an idle
// orchestrator. A body over the limit is refused while anything else is in flight: where
// such bodies are common traffic, raise MAX_IN_FLIGHT_BYTES.
func (a *admission) fits(cur, n int64) bool { return cur == 0 || cur+n <= a.limit.current() }

// take charges n body bytes, reporting false if the limit lacks them.
func (a *admission) take(n int64) bool {
	n = a.cost(n)
	for {
		cur := a.inFlight.Load()
		if !a.fits(cur, n) {
			return false
		}
		if a.inFlight.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

func (a *admission) give(n int64) { a.inFlight.Add(-a.cost(n)) }

// precheck answers 429 itself, before the body is read, when the limit could not take r
// now: the bytes its Content-Length declares are not free or, for a body of unknown length,
// none are. It reserves nothing, so a request it lets through may still be refused by charge.
// The handler leaves a refused body unread; net/http still drains up to 256 KiB of it to keep
// the connection open, and closes the connection past that.
func (a *admission) precheck(w http.ResponseWriter, r *http.Request) bool {
	cur := a.inFlight.Load()
	if r.ContentLength < 0 && cur < a.limit.current() || r.ContentLength >= 0 && a.fits(cur, a.cost(r.ContentLength)) {
		return true
	}
	refuseAtCapacity(w)
	return false
}

// charge takes n bytes of a body read and about to be decoded, answering 429 itself when the
// limit lacks them.
func (a *admission) charge(w http.ResponseWriter, n int64) (ticket, bool) {
	if !a.take(n) {
		refuseAtCapacity(w)
		return ticket{}, false
	}
	return ticket{a: a, n: n, admitted: time.Now()}, true
}

// ticket is one admitted request's charge.
type ticket struct {
	a        *admission
	n        int64
	admitted time.Time
}

// answered feeds the request's time since admission to the adaptive limit. Only requests
// answered 200 call it: a refusal or a rejected body is quick for reasons that say nothing
// about how long scoring takes, and would drag the baseline down.
func (t ticket) answered() {
	t.a.limit.observe(time.Since(t.admitted), t.n)
	admissionLimit.Set(float64(t.a.limit.current()))
}

// shed feeds the worker's refusal of the request for load to the adaptive limit, so that
// the next requests past what the worker takes are refused here, before their bodies are read.
func (t ticket) shed() {
	t.a.limit.backoff()
	admissionLimit.Set(float64(t.a.limit.current()))
}

// release gives the charge back.
func (t ticket) release() { t.a.give(t.n) }

func refuseAtCapacity(w http.ResponseWriter) {
	writeRetryable(w, http.StatusTooManyRequests, "resource_exhausted", "orchestrator is at capacity")
}
