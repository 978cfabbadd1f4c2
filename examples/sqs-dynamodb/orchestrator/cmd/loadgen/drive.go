package main

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// call sends one request (a unary score, a batch or an HTTP POST) and reports whether it failed.
type call func(ctx context.Context) error

// callTimeout bounds every request, so a stuck service ends a phase late rather than never.
const callTimeout = 5 * time.Second

// phase is what one closed- or open-loop run measured.
type phase struct {
	requests  int
	errors    int
	shed      int // closed loop: refusals, retried after a backoff; not counted in requests
	elapsed   time.Duration
	latencies []time.Duration // sorted; open loop: from the intended send time
	firstErr  error
	cpu       map[string]time.Duration // CPU used per process during the phase, where known
}

func (p phase) perSecond() float64 {
	if p.elapsed <= 0 {
		return 0
	}
	return float64(p.requests-p.errors) / p.elapsed.Seconds()
}

// Backoff of a closed-loop sender after a refusal: exponential from shedBackoffBase, capped
// at shedBackoffCap, with "full jitter" (a uniform wait up to the bound; AWS Architecture
// Blog, "Exponential Backoff And Jitter", 2015), as the refusal asks ("retry with backoff").
const (
	shedBackoffBase = time.Millisecond
	shedBackoffCap  = 32 * time.Millisecond
)

// closedLoop keeps `concurrency` requests in flight for d: each sender sends its next
// request as soon as the previous answer arrives, or, when it was a refusal, after a
// backoff. Retrying a refusal at once would measure how fast the worker can refuse,
// not how much it can score. It measures throughput; its latencies are only indicative,
// because a slow answer also delays the requests behind it.
func closedLoop(ctx context.Context, c call, concurrency int, d time.Duration) phase {
	deadline := time.Now().Add(d)
	per := make([]phase, concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range per {
		wg.Go(func() {
			p := &per[i]
			backoff := shedBackoffBase
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t := time.Now()
				err := send(ctx, c)
				if shed(err) {
					p.shed++
					time.Sleep(rand.N(backoff) + 1)
					backoff = min(2*backoff, shedBackoffCap)
					continue
				}
				backoff = shedBackoffBase
				p.latencies = append(p.latencies, time.Since(t))
				p.record(err)
			}
		})
	}
	wg.Wait()
	return merge(per, time.Since(start))
}

// openLoop sends at a fixed rate for d whatever the answers do, as real clients would, and
// times each request from when it was due to be sent, not from when it went out. A
// stalled service therefore shows its full delay in the percentiles instead of hiding it
// by slowing the sender ("coordinated omission"). maxInFlight bounds the goroutines; when
// it is reached the sender waits, and the wait is charged to the requests it delays.
func openLoop(ctx context.Context, c call, rate float64, d time.Duration, maxInFlight int) phase {
	n := int(rate * d.Seconds())
	latencies := make([]time.Duration, n)
	failed := make([]error, n)
	var errs atomic.Int64
	elapsed := pace(ctx, rate, n, maxInFlight, func(i int, due time.Time) {
		err := send(ctx, c)
		latencies[i] = time.Since(due)
		if err != nil {
			failed[i] = err
			errs.Add(1)
		}
	})
	p := phase{requests: n, errors: int(errs.Load()), elapsed: elapsed, latencies: latencies}
	for _, err := range failed {
		if err != nil {
			p.firstErr = err
			break
		}
	}
	slices.Sort(p.latencies)
	return p
}

// pace starts do(i, due) for i in [0, n) at rate per second, each in a goroutine of its own
// once one of maxInFlight slots is free, and returns when all n have finished (or ctx ended
// the sending), with the time that took. due is when call i should have started. loadgen's
// collector is paused meanwhile (pauseCollection), so its own pauses are not timed.
func pace(ctx context.Context, rate float64, n, maxInFlight int, do func(i int, due time.Time)) time.Duration {
	defer pauseCollection()()
	interval := time.Duration(float64(time.Second) / rate)
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			preciseSleep(wait)
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			do(i, due)
		})
	}
	wg.Wait()
	return time.Since(start)
}

func send(ctx context.Context, c call) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return c(ctx)
}

func (p *phase) record(err error) {
	p.requests++
	if err != nil {
		p.errors++
		if p.firstErr == nil {
			p.firstErr = err
		}
	}
}

func merge(per []phase, elapsed time.Duration) phase {
	out := phase{elapsed: elapsed}
	for _, p := range per {
		out.requests += p.requests
		out.errors += p.errors
		out.shed += p.shed
		out.latencies = append(out.latencies, p.latencies...)
		if out.firstErr == nil {
			out.firstErr = p.firstErr
		}
	}
	slices.Sort(out.latencies)
	return out
}

// cpuTimes snapshots the CPU time of each named process (pid 0: loadgen itself).
func cpuTimes(pids map[string]int) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, pid := range pids {
		if pid < 0 || (pid == 0 && name != "loadgen") {
			continue
		}
		if t, ok := cpuTime(pid); ok {
			out[name] = t
		}
	}
	return out
}

func cpuSince(before map[string]time.Duration, pids map[string]int) map[string]time.Duration {
	after := cpuTimes(pids)
	for name, t := range after {
		after[name] = t - before[name]
	}
	return after
}
