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
export function benchPhases(m: Manifest): { phases: number; modelRounds: number; warmups: number; restarts: number } {
  const http = m.orchestrator.ingress === "http";
  // [what, phases, warm-ups (one before each closed loop's phases), service starts]
  const parts: [string, number, number, number][] = http
    ? [
        ["tracing off, at 1% and always on: a closed and an open loop each, on fresh services", 6, 3, 3],
        ["coalescing off and on: a closed and an open loop each, on fresh services", 4, 2, 2],
        ["the orchestrator, grpc-gateway and the orchestrator without coalescing: a closed loop each, on fresh services", 3, 3, 3],
        // gRPC Score, ScoreBatch, the HTTP route, its batch route, the HTTP floor, the other transport: closed and open; the generated client: closed; the no-op floor: open.
        ["the main run's targets and the no-op floor", 14, 7, 0],
        ["overload, gRPC and HTTP batches: the peak and the overload each", 4, 0, 0],
      ]
    : [
        // gRPC Score, ScoreBatch, the other transport: closed and open; the generated client: closed; the no-op floor: open.
        ["the main run's targets and the no-op floor", 8, 4, 0],
        ["overload, gRPC batches: the peak and the overload", 2, 0, 0],
      ];
  const sum = (i: 1 | 2 | 3) => parts.reduce((n, part) => n + part[i], 0);
  return { phases: sum(1), modelRounds: 8, warmups: sum(2), restarts: sum(3) };
}

/** loadgen's unmeasured load before each closed loop's phases: bench.sh passes it as -warmup. */
export const BENCH_WARMUP_MS = 500;

/**
 * What a warm `make bench` spends besides measuring and warm-ups, measured
 * with BENCH_DURATION=500ms BENCH_RUNS=1 on the sqs preset, everything built,
 * on the 2-core machine the README's build figures come from: its up-to-date
 * builds, the model memory test, the main run's service starts and stops, the
 * overload's pauses and the burst (fixedSecs); and one more start and stop of
 * the services, which the HTTP preset's variants pay each (perRestartSecs).
 * Measured: the sqs quick check took 13.9 s (9 s of it measuring, 2 s
 * warm-ups) and the http one 32.4 s (19.5 s measuring, 7.5 s warm-ups, 8
 * restarts), where the README had said "about 9 s" and "about 20 s", the
 * measuring alone. The README's totals derive from these and the settings.
 */
export const BENCH_WARM_COST = { machine: "2-core Linux machine", fixedSecs: 3, perRestartSecs: 0.3 } as const;

/** What templates see as `bench`: the defaults, the counts, and the default run's length. */
export function benchContext(m: Manifest) {
  const { phases, modelRounds, warmups, restarts } = benchPhases(m);
  const { durationSecs, runs } = BENCH_DEFAULTS;
  const quickSecs = BENCH_QUICK.durationMs / 1000;
  const perRun = phases * durationSecs + modelRounds * Math.min(durationSecs, BENCH_MODEL_ROUND_SECS);
  const quickMeasuring = BENCH_QUICK.runs * (phases * quickSecs + modelRounds * Math.min(quickSecs, BENCH_MODEL_ROUND_SECS));
  // Seconds from `make bench` to its table, warm: measuring, warm-ups, then what BENCH_WARM_COST measured.
  const total = (measuring: number, n: number) =>
    Math.round(measuring + (n * warmups * BENCH_WARMUP_MS) / 1000 + BENCH_WARM_COST.fixedSecs + n * restarts * BENCH_WARM_COST.perRestartSecs);
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
    quickSecs: Math.round(quickMeasuring),
    warmups,
    warmupMs: BENCH_WARMUP_MS,
    warmupSecs: BENCH_WARMUP_MS / 1000,
    restarts,
    warmMachine: BENCH_WARM_COST.machine,
    warmFixedSecs: BENCH_WARM_COST.fixedSecs,
    warmPerRestartSecs: BENCH_WARM_COST.perRestartSecs,
    /** Seconds, warm, from `make bench` to its table: with the defaults (also in minutes), and the quick check. */
    defaultTotalSecs: total(runs * perRun, runs),
    defaultTotalMinutes: Math.round(total(runs * perRun, runs) / 6) / 10,
    quickTotalSecs: total(quickMeasuring, BENCH_QUICK.runs),
  };
}
