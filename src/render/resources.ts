/**
 * Container resources for deploy/kubernetes, derived in this one place from
 * the figures `make bench` measures, so requests track what the services
 * really use instead of guesses copied between manifests.
 *
 * Re-deriving for your model and hardware: run `make bench` on a machine like
 * your nodes, read bench/results.json (`memory.<service>.load_peak` in KiB,
 * `cpu_us_per_request.<service>` for the gRPC Score and e2e phases), put the
 * figures below (or edit the rendered manifests: sync keeps your edits), and
 * re-render with `npx create-hybrid-backend sync`.
 */

/** Figures from `make bench` for one service. */
export interface BenchFigures {
  /** Resident memory at peak load, MiB (results.json memory.<svc>.load_peak / 1024). */
  peakRssMiB: number;
  /** CPU time the process spent per request, µs (results.json cpu_us_per_request). */
  cpuMicrosPerRequest: number;
}

/**
 * Where these came from: `make bench` on 2026-11-30, 2 cores shared with other
 * builds (so CPU figures are on the high side), the highest of three runs:
 * `BENCH_DURATION=1s BENCH_RUNS=1` on the http-stdlib example and two default
 * runs on a fresh default project. Per service: memory.<svc>.load_peak, and
 * cpu_us_per_request.<svc> of the end-to-end HTTP phase (the worker's figure
 * there includes the orchestrator's call pattern). Measured: orchestrator
 * 40.6-70.8 MiB peak (66.0 and 70.8 with its GOGC of 400), 82.9-101.9
 * µs/request; worker 55.1-91.1 MiB (its peak is the overload phase's
 * 1000-request batches in flight), 18.4-24.1 µs. The earlier figures (43 and
 * 11.2 MiB) predated the overload phase and that GOGC; the bench test now
 * fails when a service's peak outgrows its memory request. The orchestrator's
 * GOGC went to 1000 on 2026-12-05 (cmd/orchestrator/gc.go): its heap goal is
 * now eleven times the live heap, which the batch phases raise, and
 * `BENCH_PIN=1 make bench` on a default project measured its peak at 111.6 MiB.
 */
/** Rounded up from the runs above. */
export const BENCH: Record<"orchestrator" | "worker", BenchFigures> = {
  orchestrator: { peakRssMiB: 112, cpuMicrosPerRequest: 102 },
  worker: { peakRssMiB: 92, cpuMicrosPerRequest: 25 },
};

/** Memory request = peak RSS × this: room for a model larger than the bench's and for allocator slack. */
export const MEMORY_HEADROOM = 2;
/** Memory limit = request × this: a leak is stopped (OOMKilled, restarted) long before it starves a node. */
export const MEMORY_LIMIT_FACTOR = 2;
/** Requests per second one replica is sized for; the HPA adds replicas beyond it (CPU target below). */
export const DESIGN_RPS_PER_REPLICA = 1000;
/** CPU limit = request × this: bursts (start-up, GC) may use more, a runaway loop may not take the node. */
export const CPU_LIMIT_FACTOR = 4;
/** The HPA's target: average CPU use as a share of the request. */
export const HPA_CPU_UTILIZATION = 70;

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/**
 * cpu request = µs per request × design rps / 1e6 cores, in millicores,
 * at least 50m; memory request = peak RSS × headroom, rounded up to 16 MiB.
 */
export function resourcesFor(f: BenchFigures): Resources {
  const cpuMilli = Math.max(50, roundUp((f.cpuMicrosPerRequest * DESIGN_RPS_PER_REPLICA) / 1000, 50));
  const memMiB = roundUp(f.peakRssMiB * MEMORY_HEADROOM, 16);
  return {
    requests: { cpu: `${cpuMilli}m`, memory: `${memMiB}Mi` },
    limits: { cpu: `${cpuMilli * CPU_LIMIT_FACTOR}m`, memory: `${memMiB * MEMORY_LIMIT_FACTOR}Mi` },
  };
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}
