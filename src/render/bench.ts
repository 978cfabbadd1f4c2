import type { Manifest } from "../manifest.js";

/**
 * `make bench`'s defaults (scripts/bench.sh's BENCH_* settings) and how long
 * they make it measure: the script takes its defaults from here, prints its
 * own bound from the same counts, and the README states the defaults and the
 * time from them, so no figure is written twice.
 */
export const BENCH_DEFAULTS = { durationSecs: 2, runs: 3, rate: 2000, concurrency: 32 } as const;

/** The quick check the README and the Makefile offer: BENCH_DURATION=500ms BENCH_RUNS=1. */
export const BENCH_QUICK = { durationMs: 500, runs: 1 } as const;

/** The longest model scoring round: bench.sh caps each at the phase length or this, whichever is less. */
export const BENCH_MODEL_ROUND_SECS = 1;

/**
 * The phases of BENCH_DURATION one run measures, by part of the bench (a
 * closed loop and an open loop are a phase each; orchestrator/cmd/loadgen
 * runs them), and the model scoring rounds per run (the compiled and the
 * walked model, one request at a time and as a batch: four rounds each for
 * Rust and for Go).
 */
export function benchPhases(m: Manifest): { phases: number; modelRounds: number } {
  const http = m.orchestrator.ingress === "http";
  const parts: [string, number][] = http
    ? [
        ["tracing off, at 1% and always on: a closed and an open loop each", 6],
        ["coalescing off and on: a closed and an open loop each", 4],
        ["the orchestrator, grpc-gateway and the orchestrator without coalescing: a closed loop each", 3],
        // gRPC Score, ScoreBatch, the HTTP route, its batch route, the HTTP floor, the other transport: closed and open; the generated client: closed; the no-op floor: open.
        ["the main run's targets and the no-op floor", 14],
        ["overload, gRPC and HTTP batches: the peak and the overload each", 4],
      ]
    : [
        // gRPC Score, ScoreBatch, the other transport: closed and open; the generated client: closed; the no-op floor: open.
        ["the main run's targets and the no-op floor", 8],
        ["overload, gRPC batches: the peak and the overload", 2],
      ];
  return { phases: parts.reduce((n, [, k]) => n + k, 0), modelRounds: 8 };
}

/** What templates see as `bench`: the defaults, the counts, and the default run's length. */
export function benchContext(m: Manifest) {
  const { phases, modelRounds } = benchPhases(m);
  const { durationSecs, runs } = BENCH_DEFAULTS;
  const quickSecs = BENCH_QUICK.durationMs / 1000;
  const perRun = phases * durationSecs + modelRounds * Math.min(durationSecs, BENCH_MODEL_ROUND_SECS);
  return {
    ...BENCH_DEFAULTS,
    duration: `${durationSecs}s`,
    modelRoundSecs: BENCH_MODEL_ROUND_SECS,
    modelRoundMs: BENCH_MODEL_ROUND_SECS * 1000,
    phases,
    modelRounds,
    /** Seconds of measuring with the defaults, and with the quick check's settings. */
    defaultSecs: runs * perRun,
    defaultMinutes: Math.round((runs * perRun) / 6) / 10,
    quick: `BENCH_DURATION=${BENCH_QUICK.durationMs}ms BENCH_RUNS=${BENCH_QUICK.runs}`,
    quickSecs: Math.round(BENCH_QUICK.runs * (phases * quickSecs + modelRounds * Math.min(quickSecs, BENCH_MODEL_ROUND_SECS))),
  };
}
