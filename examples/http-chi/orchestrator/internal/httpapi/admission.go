package httpapi

import (
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
)

// DefaultInFlightBytesPerCore is the API's in-flight budget per core (GOMAXPROCS) unless
// Config.MaxInFlightBytes sets one.
//
// Why a budget at all: decoding JSON is the orchestrator's expensive work, and net/http starts
// every request it is sent. Past its peak, an orchestrator without one decodes ever more
// bodies at once, each more slowly, and the worker's refusals come back after the deadlines:
// `make bench`'s HTTP overload row (x100 batches at twice the route's peak, pinned, 2 cores)
// kept 0.15 of the peak as goodput, with 429s taking 2.2 s at p99 and 181 calls timed out.
// With this budget a request past it is answered 429 before its body is read, and the same
// row kept 0.98 of the peak, with 429s at 44 ms p99 and none timed out (one run each; the
// second with other work on the machine, so if anything a harder case). Why 1 MiB: about 35
// of the bench's x100 batches per core, several times what one core decodes in a worker
// call's time, so a core never idles for want of admitted work.
const DefaultInFlightBytesPerCore = 1 << 20

// admission is the API's in-flight budget, in request body bytes (the cost of decoding).
// A counter rather than golang.org/x/sync/semaphore: nothing ever waits here (a request past
// the budget is refused, not queued), so Weighted's queue of waiters would go unused, and a
// refuse-only weighted count is one compare-and-swap loop.
type admission struct {
	inFlight atomic.Int64
	capacity int64
}

func newAdmission(capacity int64) *admission {
	if capacity <= 0 {
		capacity = int64(runtime.GOMAXPROCS(0)) * DefaultInFlightBytesPerCore
	}
	return &admission{capacity: capacity}
}

// take charges a request of n body bytes, reporting false if the budget lacks them. A request
// larger than the whole budget is charged all of it, so any valid request runs when idle.
func (a *admission) take(n int64) bool {
	n = min(max(n, 1), a.capacity)
	for {
		cur := a.inFlight.Load()
		if cur+n > a.capacity {
			return false
		}
		if a.inFlight.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

func (a *admission) give(n int64) {
	a.inFlight.Add(-min(max(n, 1), a.capacity))
}

// admit charges r against the budget by its declared length (limit, the route's body limit,
// when it declares none or more), answering 429 with Retry-After itself when the budget lacks
// it; release gives the charge back.
func (a *admission) admit(w http.ResponseWriter, r *http.Request, limit int64) (release func(), ok bool) {
	n := r.ContentLength
	if n < 0 || n > limit {
		n = limit
	}
	if !a.take(n) {
		w.Header().Set("Retry-After", strconv.Itoa(ShedRetryAfterSeconds))
		writeError(w, http.StatusTooManyRequests, "resource_exhausted", "orchestrator is at capacity; retry after "+strconv.Itoa(ShedRetryAfterSeconds)+"s")
		return nil, false
	}
	return func() { a.give(n) }, true
}
