/**
 * Container resources for deploy/kubernetes, derived in this one place from
 * the figures `make bench` measures, so requests track what the services
 * really use instead of guesses copied between manifests.
 *
 * Re-deriving for your model and hardware: run `make bench` on a machine like
 * your nodes, read bench/results.json (`memory.<service>.load_peak` in KiB,
 * `cpu_us_per_request.<service>` for the gRPC Score and e2e phases), put the
 * figures below, build, and re-render a repo with this checkout (`make sync
 * HYBRID_BACKEND='node CHECKOUT/dist/cli.js'` in it: a plain `make sync` runs
 * the published release the repo records, with its own figures); or edit the
 * rendered manifests, which sync keeps.
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
/** Requests per second one replica is sized for; the HPA adds replicas beyond it (CPU target below). */
export const DESIGN_RPS_PER_REPLICA = 1000;
/** The HPA's target: average CPU use as a share of the request. */
export const HPA_CPU_UTILIZATION = 70;
/** Every autoscaler's replica bounds (HPAs, the ScaledObject); the dev overlay lowers the floor to DEV_SCALE_MIN. */
export const SCALE = { min: 2, max: 10 } as const;

/**
 * Each service's CPU limit as a multiple of its request, or none.
 *
 * The memory limit is always the request: memory cannot be throttled, only
 * reclaimed by OOM kills, so a pod may never use more than the scheduler
 * reserved for it (a leak OOM-kills its own container, not a neighbour).
 *
 * A CPU limit is a CFS quota: a container that spends it within a 100 ms
 * period waits out the rest of the period, however idle the node. The worker
 * scores on every core rayon finds, in bursts, against the orchestrator's
 * REQUEST_TIMEOUT (settings.ts), so a quota turns a burst into stalls of tens of milliseconds per
 * period and load into deadline misses; it gets no limit, and its request
 * (from `make bench`) is what the scheduler reserves and what the HPA scales
 * on. The orchestrator keeps one well above its request: it waits on I/O
 * rather than computing, and the Go runtime sizes GOMAXPROCS (and with it the
 * garbage collector's workers and the API's in-flight budget) from a CPU
 * limit, which without one would follow the node's core count instead. That
 * limit is whole CPUs and at least GO_MIN_GOMAXPROCS (goCpuLimit).
 */
export const CPU_LIMIT_FACTOR: Record<Service, number | undefined> = { orchestrator: 4, worker: undefined };

/**
 * The least GOMAXPROCS the Go runtime (1.25+) derives from a CPU limit: it
 * takes the limit rounded up to whole CPUs, and never fewer than this.
 */
export const GO_MIN_GOMAXPROCS = 2;

/**
 * A Go service's CPU limit: its request × factor, rounded up to whole CPUs and
 * at least GO_MIN_GOMAXPROCS, which is then exactly the GOMAXPROCS the runtime
 * picks. A fractional limit below it (600m gives GOMAXPROCS 2) lets every P
 * spend the 100 ms period's quota in a fraction of it and stall for the rest,
 * the throttling the workers avoid by having no limit, and sizes the API's
 * in-flight budget for CPUs the quota does not give.
 */
export function goCpuLimitCores(requestMilli: number, factor: number): number {
  return Math.max(GO_MIN_GOMAXPROCS, Math.ceil((requestMilli * factor) / 1000));
}

/** Why a pod has a container without a CPU limit: checkov's CKV_K8S_11 (CPU limits should be set) is skipped with this. */
export const NO_CPU_LIMIT_REASON = "the worker scores CPU-bound within the orchestrator's REQUEST_TIMEOUT, which CFS quota throttling would eat into; its CPU request is sized from make bench";

export type Service = keyof typeof BENCH;

export interface Resources {
  requests: { cpu: string; memory: string };
  /** cpu null: no limit, the container may use any idle CPU on its node (see CPU_LIMIT_FACTOR). */
  limits: { cpu: string | null; memory: string };
}

/**
 * cpu request = µs per request × design rps / 1e6 cores, in millicores,
 * at least 50m; memory request = peak RSS × headroom, rounded up to 16 MiB;
 * memory limit = request; cpu limit, if any, = request × cpuLimitFactor in
 * whole CPUs, at least GOMAXPROCS' floor (goCpuLimitCores).
 */
export function resourcesFor(f: BenchFigures, cpuLimitFactor: number | undefined): Resources {
  const cpuMilli = Math.max(50, roundUp((f.cpuMicrosPerRequest * DESIGN_RPS_PER_REPLICA) / 1000, 50));
  const memory = `${roundUp(f.peakRssMiB * MEMORY_HEADROOM, 16)}Mi`;
  return {
    requests: { cpu: `${cpuMilli}m`, memory },
    limits: { cpu: cpuLimitFactor === undefined ? null : String(goCpuLimitCores(cpuMilli, cpuLimitFactor)), memory },
  };
}

/** A service's resources: its bench figures under its CPU limit policy. */
export function serviceResources(service: Service): Resources {
  return resourcesFor(BENCH[service], CPU_LIMIT_FACTOR[service]);
}

/** What the manifests' comments and the README say of the sizing: the figures above, never copies of them. */
export function sizingContext() {
  return {
    memoryHeadroom: MEMORY_HEADROOM,
    designRps: DESIGN_RPS_PER_REPLICA,
    orchestratorCpuLimitFactor: CPU_LIMIT_FACTOR.orchestrator ?? null,
    goMinGomaxprocs: GO_MIN_GOMAXPROCS,
    workerCpuLimitFactor: CPU_LIMIT_FACTOR.worker ?? null,
  };
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}
