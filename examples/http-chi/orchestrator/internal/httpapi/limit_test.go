package httpapi

import (
	"net/http/httptest"
	"testing"
	"time"
)

const ms = 1e-3

func TestOverloadLowersTheLimitAndWorkAtTheBaselineRaisesItAgain(t *testing.T) {
	// Requests taking ten times the baseline per unit: the limit falls to its floor.
	limit := 256.0
	for range 200 {
		limit = max(nextLimit(limit, 0.1*ms, 1*ms), 16)
	}
	if limit != 16 {
		t.Fatalf("limit %v after 200 slow samples, want the floor 16", limit)
	}
	// Back at the baseline: it grows by its square root per step to the ceiling.
	for range 200 {
		limit = min(nextLimit(limit, 0.1*ms, 0.1*ms), 256)
	}
	if limit != 256 {
		t.Errorf("limit %v after 200 samples at the baseline, want the ceiling 256", limit)
	}
}

func TestWithinTheToleranceTheLimitGrowsAndPastItFalls(t *testing.T) {
	atTolerance := 0.1 * ms * limitTolerance
	if got := nextLimit(40, 0.1*ms, atTolerance); got <= 40 {
		t.Errorf("at the tolerance: limit %v, want over 40", got)
	}
	if got := nextLimit(40, 0.1*ms, 2.5*atTolerance); got >= 40 {
		t.Errorf("2.5 times past the tolerance: limit %v, want under 40", got)
	}
	if got := nextLimit(40, 0.1*ms, 0); got != 40 {
		t.Errorf("a zero sample: limit %v, want 40 unchanged", got)
	}
}

// The light load after an overload: requests at the baseline's pace, one at a time. Within 50
// of them the limit is back at four times its floor, so that load's bursts are not refused.
func TestALimitLeftAtItsFloorByAnOverloadRecoversUnderLightLoad(t *testing.T) {
	l := newGradientLimit(64<<10, 1<<20)
	l.observe(time.Millisecond, 250)
	for range 500 {
		l.observe(50*time.Millisecond, 250)
	}
	if got := l.current(); got != 64<<10 {
		t.Fatalf("limit %d after the overload, want the floor %d", got, 64<<10)
	}
	for range 50 {
		l.observe(time.Millisecond, 250)
	}
	if got := l.current(); got < 256<<10 {
		t.Errorf("limit %d after 50 requests at the baseline's pace, want at least %d", got, 256<<10)
	}
}

func TestGradientLimitStaysWithinItsFloorAndCeilingInBytes(t *testing.T) {
	l := newGradientLimit(64<<10, 1<<20)
	if got := l.current(); got != 1<<20 {
		t.Fatalf("fresh limit %d, want the ceiling %d", got, 1<<20)
	}
	l.observe(100*time.Microsecond, 300) // the baseline
	for range 500 {
		l.observe(50*time.Millisecond, 300)
	}
	if got := l.current(); got != 64<<10 {
		t.Errorf("limit %d after slow requests, want the floor %d", got, 64<<10)
	}
	// A floor above the ceiling, or budgets under one unit, still give a usable limit.
	if got := newGradientLimit(1<<20, 8<<10).current(); got != 8<<10 {
		t.Errorf("floor over ceiling: %d, want the ceiling", got)
	}
	tiny := newGradientLimit(0, 10)
	tiny.observe(time.Millisecond, 1)
	if got := tiny.current(); got != 10 {
		t.Errorf("a 10-byte budget: limit %d, want 10", got)
	}
}

// A 24 KB batch taking six times a 250-byte score's time is the same pace per unit of cost.
func TestASampleIsPerUnitOfCostSoBigBodiesAreNotSlowOnes(t *testing.T) {
	l := newGradientLimit(64<<10, 1<<20)
	l.observe(time.Millisecond, 250)
	for range 100 {
		l.observe(6*time.Millisecond, 24<<10)
	}
	if got := l.current(); got != 1<<20 {
		t.Errorf("limit %d after batches at the single score's pace, want the ceiling", got)
	}
}

func TestALoweredLimitRefusesWithTheBudgetFreeButAnIdleAPIAdmitsAnyBody(t *testing.T) {
	a := newAdmission(1 << 20)
	a.limit = newGradientLimit(16<<10, 1<<20)
	first, ok := a.charge(httptest.NewRecorder(), 10<<10)
	if !ok {
		t.Fatal("the first 10 KiB were refused")
	}
	first.answered() // the baseline
	for range 300 {
		a.limit.observe(time.Second, 10<<10)
	}
	if got := a.limit.current(); got != 16<<10 {
		t.Fatalf("limit %d, want the floor %d", got, 16<<10)
	}
	// 10 KiB in flight, 16 KiB allowed: another 10 KiB is refused though the budget has 1 MiB.
	refused := httptest.NewRecorder()
	if _, ok := a.charge(refused, 10<<10); ok || refused.Code != 429 {
		t.Errorf("past the limit: admitted %v, status %d, want a 429", ok, refused.Code)
	}
	req := httptest.NewRequest("POST", "/v1/score", nil)
	req.ContentLength = 10 << 10
	if a.precheck(httptest.NewRecorder(), req) {
		t.Error("precheck let through a body the limit cannot take")
	}
	first.release()
	// Idle: a body over the limit runs alone.
	alone, ok := a.charge(httptest.NewRecorder(), 100<<10)
	if !ok {
		t.Fatal("an idle API refused a body over its limit")
	}
	alone.release()
	if got := a.inFlight.Load(); got != 0 {
		t.Errorf("%d bytes still in flight after every charge was released", got)
	}
}

// A worker's refusals take the limit below its floor, where more in flight is only work the
// worker throws away; the latency rule leaves it there to grow back with the 200s.
func TestRefusalsLowerTheLimitPastItsFloorAndItGrowsBack(t *testing.T) {
	l := newGradientLimit(64<<10, 1<<20)
	for range 100 {
		l.backoff()
	}
	if got := l.current(); got != costUnitBytes {
		t.Fatalf("limit %d after 100 refusals, want one unit, %d", got, costUnitBytes)
	}
	l.observe(time.Millisecond, 250)
	for range 10 {
		l.observe(50*time.Millisecond, 250) // slow, yet not lifted to the floor
	}
	if got := l.current(); got < costUnitBytes || got >= 64<<10 {
		t.Fatalf("limit %d after slow samples, want it between one unit and the floor", got)
	}
	for range 100 {
		l.observe(time.Millisecond, 250)
	}
	if got := l.current(); got < 64<<10 {
		t.Errorf("limit %d after 100 requests at the baseline's pace, want back over the floor %d", got, 64<<10)
	}
}
