//! The adaptive part of admission: how many of the `MAX_IN_FLIGHT` permits
//! may be in use at once right now.
//!
//! A fixed budget admits as much work as it allows, and under overload all
//! of it queues on the worker's cores, so by Little's law an accepted call
//! waits budget ÷ throughput. `make bench`'s overload row (ScoreBatch at
//! twice the peak rate, worker pinned to one core) measured the accepted p99
//! at 12.2–12.5× the unloaded p99 with the default budget of 64 permits per
//! CPU, 4.3× with a fixed 16 and 2.3× with 8; but a fixed small budget also
//! refuses work a bigger machine or a lighter model could take.
//!
//! So the limit moves, with the gradient rule of Netflix's
//! concurrency-limits (`GradientLimit`, after TCP Vegas): each call scored
//! on the pool reports its time from admission to the end of its scoring,
//! per unit of its cost ([`super::Lease::cost`]); against the least such
//! time seen lately (the baseline, unloaded work),
//! `gradient = TOLERANCE × baseline ÷ sample`, kept within
//! [0.5, 1]; the limit moves towards `limit × gradient + √limit` (the square
//! root is the queue it allows, so an idle-enough worker keeps growing it),
//! by [`SMOOTHING`] of the way per sample, within [floor, `MAX_IN_FLIGHT`].
//! It grows whenever calls run within the tolerance, however few are in
//! flight. concurrency-limits grows only while half of it is in use, so a
//! limit learned in an overload stays at its floor through the light load
//! after it and refuses that load's bursts (`make bench`'s fixed-rate phase
//! at 0.4 of the peak, right after a saturating one, got a refusal); here
//! the ceiling is the operator's `MAX_IN_FLIGHT`, so growing back to it
//! unused costs nothing the fixed budget did not.
//!
//! Our own rather than a crate: no maintained Rust crate offers an adaptive
//! limit that weighs calls by their cost, and the rule is a few lines.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// How much longer than the baseline a call may take, per unit of cost, before
/// the limit falls: three times. concurrency-limits uses twice; on a worker
/// pinned to one core, five alternated pairs of the overload row measured
/// 3 against 2 at a median 1.18× the accepted calls (goodput 1.11 of peak
/// against 0.87) for an accepted p99 of 1.1–3.6× the unloaded p99 (target
/// ≤ 5×); three earlier pairs put it at 0.90 of a fixed budget's goodput.
pub const TOLERANCE: f64 = 3.0;

/// Share of the way to the new limit moved per sample: concurrency-limits'
/// default. Smaller reacts slower to overload; larger overreacts to one
/// slow call on a noisy machine.
pub const SMOOTHING: f64 = 0.2;

/// How long a least time stays the baseline. The baseline is the lesser of
/// this window's least and the previous one's, so it forgets a faster past
/// (a model swapped for a slower one) within two windows, and never rises
/// in one step from one sample.
pub const BASELINE_WINDOW: Duration = Duration::from_secs(10);

/// Permits per rayon thread the limit never falls below: room for each pool
/// thread to score one typical call (1–2 permits) with three more decoded
/// behind it. Two would keep the pool busy; with 4 per thread (two 100-item
/// calls on a worker pinned to one core), `make bench`'s fixed-rate
/// phases of 100 calls a second, right after a saturating phase, had calls
/// refused whenever three overlapped on a stall. In three alternated sets
/// of the overload row, 8 kept a median 0.97 of a fixed budget's goodput,
/// with the accepted p99 within 0.5–2.5× the unloaded p99.
pub const FLOOR_PER_POOL_THREAD: usize = 8;

/// The adaptive limit, in permits. Reads are lock-free; samples take a lock.
#[derive(Debug)]
pub struct Limit {
    current: AtomicUsize,
    floor: f64,
    ceiling: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    limit: f64,
    window_start: Instant,
    /// Least seconds per unit of cost in this window and in the previous one.
    least: f64,
    least_before: f64,
}

impl Limit {
    /// A limit between `floor` and `ceiling` permits (floor at most
    /// ceiling, both at least 1), starting at the ceiling: a fresh worker
    /// admits what the fixed budget did until its calls say otherwise.
    pub fn new(floor: usize, ceiling: usize) -> Self {
        let ceiling = ceiling.max(1);
        let floor = floor.clamp(1, ceiling);
        Self {
            current: AtomicUsize::new(ceiling),
            floor: floor as f64,
            ceiling: ceiling as f64,
            state: Mutex::new(State {
                limit: ceiling as f64,
                window_start: Instant::now(),
                least: f64::INFINITY,
                least_before: f64::INFINITY,
            }),
        }
    }

    /// Permits that may be in use at once now.
    pub fn current(&self) -> usize {
        self.current.load(Ordering::Relaxed)
    }

    /// Takes a sample: a call costing `cost` permits took `elapsed` from
    /// admission to the end of its scoring.
    pub fn observe(&self, elapsed: Duration, cost: f64) {
        let sample = elapsed.as_secs_f64() / cost.max(1.0);
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if state.window_start.elapsed() >= BASELINE_WINDOW {
            state.window_start = Instant::now();
            state.least_before = state.least;
            state.least = f64::INFINITY;
        }
        state.least = state.least.min(sample);
        let baseline = state.least.min(state.least_before);
        let next = next_limit(state.limit, baseline, sample);
        state.limit = next.clamp(self.floor, self.ceiling);
        self.current.store(state.limit as usize, Ordering::Relaxed);
    }
}

/// One step of the gradient rule (see the module docs), unclamped.
/// `baseline` and `sample` are seconds per unit of cost.
pub fn next_limit(limit: f64, baseline: f64, sample: f64) -> f64 {
    if sample.is_nan() || sample <= 0.0 {
        return limit;
    }
    let gradient = (TOLERANCE * baseline / sample).clamp(0.5, 1.0);
    let target = limit * gradient + limit.sqrt();
    limit + SMOOTHING * (target - limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: f64 = 1e-3;

    #[test]
    fn overload_lowers_the_limit_towards_a_short_queue_and_idle_work_raises_it() {
        // Calls taking 10× the baseline per permit: the limit halves its way down.
        let mut limit = 128.0;
        for _ in 0..200 {
            limit = next_limit(limit, 0.1 * MS, 1.0 * MS).max(4.0);
        }
        assert!(limit < 10.0, "limit stayed at {limit}");
        // Back at the baseline: it grows by its square root per step.
        for _ in 0..200 {
            limit = next_limit(limit, 0.1 * MS, 0.1 * MS).min(128.0);
        }
        assert_eq!(limit, 128.0);
    }

    #[test]
    fn within_the_tolerance_the_limit_grows_and_past_it_falls() {
        let at_tolerance = 0.1 * MS * TOLERANCE;
        assert!(next_limit(40.0, 0.1 * MS, at_tolerance) > 40.0);
        assert!(next_limit(40.0, 0.1 * MS, 2.5 * at_tolerance) < 40.0);
        assert_eq!(next_limit(40.0, 0.1 * MS, 0.0), 40.0);
    }

    #[test]
    fn a_limit_left_at_its_floor_by_an_overload_recovers_under_light_load() {
        // The light load after an overload: calls at the baseline's pace,
        // one at a time. Within 50 of them the limit is back at 8× its floor.
        let limit = Limit::new(4, 128);
        limit.observe(Duration::from_micros(100), 1.0);
        for _ in 0..500 {
            limit.observe(Duration::from_millis(50), 1.0);
        }
        assert_eq!(limit.current(), 4);
        for _ in 0..50 {
            limit.observe(Duration::from_micros(100), 1.0);
        }
        assert!(limit.current() >= 32, "limit {}", limit.current());
    }

    #[test]
    fn the_limit_stays_within_its_floor_and_ceiling() {
        let limit = Limit::new(6, 64);
        assert_eq!(limit.current(), 64);
        // The first sample is the baseline, then every call is far slower.
        limit.observe(Duration::from_micros(100), 1.0);
        for _ in 0..500 {
            limit.observe(Duration::from_millis(50), 1.0);
        }
        assert_eq!(limit.current(), 6);
        // A floor above the ceiling, or zero, still gives a usable limit.
        assert_eq!(Limit::new(100, 8).current(), 8);
        assert_eq!(Limit::new(0, 0).current(), 1);
    }

    #[test]
    fn a_sample_is_per_unit_of_cost_so_big_calls_are_not_slow_ones() {
        let limit = Limit::new(4, 64);
        limit.observe(Duration::from_micros(100), 1.0);
        // 16 permits in 1.6 ms is the baseline's pace: no fall.
        for _ in 0..100 {
            limit.observe(Duration::from_micros(1600), 16.0);
        }
        assert_eq!(limit.current(), 64);
    }
}
