import type { Manifest } from "../manifest.js";
import { PROBES, execProbeDeadlineMs } from "./probes.js";
import { WORKER_METRICS_PORT_OFFSET } from "./telemetry.js";

/** First worker's local gRPC port; the others follow it in manifest order. */
export const FIRST_WORKER_PORT = 50051;

/** Where uds workers' Unix sockets live in a container: the pod's shared emptyDir, compose's shared volume. */
export const SOCKETS_DIR = "/sockets";

/**
 * The bytes a worker adds to its socket's path while it binds: worker-kit's
 * src/uds/socket_file.rs binds at DIR/.NAME~/s, then links that into place at
 * DIR/NAME. The orchestrator's config (internal/config/addrs.go) leaves room
 * for it, and a worker-kit test binds at the longest path that config accepts.
 */
export const UDS_STAGING_EXTRA = 4;
/** The bytes a Unix socket address holds for its path (sockaddr_un's sun_path); scripts/checks.sh's sun_path_bytes says the same. */
export const SUN_PATH_BYTES = { linux: 108, macos: 104 } as const;

/** A uds worker's socket in a container (compose, the pod). */
export function socketAddr(name: string): string {
  return `unix://${SOCKETS_DIR}/${name}.sock`;
}

/**
 * Where a worker's image installs its binary (its Dockerfile's COPY and
 * ENTRYPOINT), which the uds sidecars' exec probes (Kubernetes, compose) run
 * as `BINARY --probe`: a probe naming another path could never pass.
 */
export function workerBinary(name: string): string {
  return `/usr/local/bin/${name}`;
}

/** What templates know about one worker. */
export interface WorkerContext {
  name: string;
  index: number;
  /**
   * Its gRPC port everywhere it listens on TCP: run.sh, the orchestrator's
   * default address, its config.rs default, its image, compose, the cluster.
   * Assigned here alone; every other artefact takes it from this.
   */
  port: number;
  /** Local Prometheus `/metrics` port (the worker's METRICS_ADDR default). */
  metricsPort: number;
  /** Its binary's path in its image (workerBinary). */
  binary: string;
  /** The orchestrator's environment variable for this worker's address. */
  env: string;
  /** The prefix of the scripts' per-service names for this worker (WORKER_<NAME>_), of `env` too. */
  envPrefix: string;
  /** Go identifier, e.g. Scorer. */
  goName: string;
  /** The first worker answers the unnamed routes (/v1/score) and queue messages. */
  primary: boolean;
  /** Whether the orchestrator calls it (routedWorker): what gates its readiness, and what the cluster keeps two of. */
  routed: boolean;
  /** How the orchestrator reaches it in a cluster: tcp (own Deployment + Service) or uds (sidecar). */
  transport: Manifest["workers"][number]["transport"];
  /** Where it serves under compose, and the orchestrator's WORKER_<NAME>_ADDR there. */
  composeAddr: string;
}

export function workerContexts(m: Manifest): WorkerContext[] {
  return m.workers.map((w, index) => ({
    name: w.name,
    index,
    port: FIRST_WORKER_PORT + index,
    metricsPort: FIRST_WORKER_PORT + index + WORKER_METRICS_PORT_OFFSET,
    binary: workerBinary(w.name),
    env: workerAddrVar(w.name),
    envPrefix: workerEnvPrefix(w.name),
    goName: w.name[0]!.toUpperCase() + w.name.slice(1),
    primary: index === 0,
    routed: routedWorker(m, index),
    transport: w.transport,
    composeAddr: w.transport === "uds" ? socketAddr(w.name) : `${w.name}:${FIRST_WORKER_PORT + index}`,
  }));
}

/**
 * Whether the orchestrator calls the worker at this index, so whether its
 * health gates the orchestrator's readiness (cmd/orchestrator's workers.route,
 * where the Go side decides it) and the cluster keeps it highly available:
 * under HTTP every worker, each having routes of its own; under a queue
 * ingress the primary alone, which the consumer scores every message with.
 * The README states it from here; the generated Go tests prove the Go side agrees.
 */
export function routedWorker(m: Manifest, index: number): boolean {
  return m.orchestrator.ingress === "http" || index === 0;
}

export function readinessContext(m: Manifest, workers: WorkerContext[]) {
  const gated = workers.filter((w) => w.routed);
  const ungated = workers.filter((w) => !gated.includes(w));
  const list = (ws: WorkerContext[]) => ws.map((w) => `\`${w.name}\``).join(", ");
  return { gated: list(gated), ungated: list(ungated), someUngated: ungated.length > 0 };
}

/**
 * Names the README's `add worker` example offers, the first one free taken:
 * every command a generated README shows must run as written, so it never
 * names a worker the repo has. One more than MAX_WORKERS, so one is always free.
 */
export const EXAMPLE_NEW_WORKERS = ["pricing", "fraud", "ranking", "churn", "risk", "demand", "routing", "anomaly", "quality"] as const;

export function exampleNewWorker(m: Manifest): string {
  return EXAMPLE_NEW_WORKERS.find((name) => !m.workers.some((w) => w.name === name))!;
}

/** The orchestrator's environment variable holding a worker's gRPC address. */
export function workerAddrVar(name: string): string {
  return `${workerEnvPrefix(name)}ADDR`;
}

/** What the worker's per-service names start with in the scripts that start every service (scripts/services.sh). */
export function workerEnvPrefix(name: string): string {
  return `WORKER_${name.toUpperCase()}_`;
}

/**
 * How long a worker drains in-flight calls after SIGTERM (its
 * SHUTDOWN_GRACE_SECS default), and how long whatever stops it (compose's
 * stop_grace_period, later Kubernetes' terminationGracePeriodSeconds) waits
 * before SIGKILL: the drain plus a margin to flush logs and exit, so a
 * draining worker is never killed mid-call.
 */
export const WORKER_DRAIN_SECS = 20;
/** The longest SHUTDOWN_GRACE_SECS a worker takes (config.rs); make run's stop follows any it takes. */
export const WORKER_MAX_DRAIN_SECS = 3600;
/** The orchestrator's SHUTDOWN_TIMEOUT default: in-flight work finishes within it after SIGTERM. */
export const ORCHESTRATOR_DRAIN_SECS = 10;
/**
 * What a worker does after its drain, in seconds, one step after the other:
 * flushing buffered spans (the generated telemetry/otel.rs FLUSH_TIMEOUT),
 * then exiting (dropping the runtime, closing the metrics listener).
 */
export const WORKER_AFTER_DRAIN = { traceFlushSecs: 2, exitSecs: 3 } as const;
export const STOP_GRACE_MARGIN_SECS = WORKER_AFTER_DRAIN.traceFlushSecs + WORKER_AFTER_DRAIN.exitSecs;

/**
 * What the orchestrator does after its drain (SHUTDOWN_TIMEOUT), in seconds,
 * one step after another, each bounded by its own timeout in the generated
 * main.go: tidying up after the cut (SQS deletes and visibility releases,
 * Kinesis lease releases), stopping the health and metrics server, flushing
 * buffered spans, and exiting. Their sum is the margin whatever stops the
 * orchestrator waits past SHUTDOWN_TIMEOUT before SIGKILL, so a shutdown that
 * uses every timeout in full still ends in a clean exit.
 */
export const ORCHESTRATOR_AFTER_DRAIN = { tidySecs: 3, opsStopSecs: 1, traceFlushSecs: 2, exitSecs: 1 } as const;
export const ORCHESTRATOR_STOP_MARGIN_SECS = Object.values(ORCHESTRATOR_AFTER_DRAIN).reduce((a, b) => a + b, 0);

/**
 * How long a pod that a Service routes to keeps serving, in a cluster, after
 * it is told to stop: the HTTP orchestrator's SHUTDOWN_DELAY (its ConfigMap)
 * and each tcp worker's preStop sleep. Kubernetes removes a terminating pod's
 * endpoint as it signals it, and whatever routes there follows only later:
 * kube-proxy and in-cluster ingress controllers (nginx, Envoy) watch the
 * endpoints and follow within seconds; the headless Service's DNS drops a
 * worker's address while clients that resolved it keep it until they resolve
 * again; and the AWS Load Balancer Controller, the usual way into an EKS
 * cluster (IP targets: an ALB for an Ingress, an NLB for a LoadBalancer
 * Service), must see the change, deregister the pod through the ELB API, and
 * then the load balancer must act on it, which takes the longest: its users
 * see new requests reach a deregistering target for ten seconds and more.
 * That slowest path is the one the manifests assume, so the delay covers it
 * with room. Each pod's terminationGracePeriodSeconds adds it before the
 * drain; behind a slower path, raise it in both places (validate refuses a
 * grace it outlasts). The setting's default is 0 (make run, smoke, compose:
 * nothing there routes by endpoints), so local stops stay fast.
 */
export const KUBE_SHUTDOWN_DELAY_SECS = 20;

/**
 * How long to wait for an orchestrator started with SHUTDOWN_TIMEOUT =
 * shutdownSecs and SHUTDOWN_DELAY = delaySecs to exit after SIGTERM: the
 * delay, the drain, then the steps after it.
 */
export function orchestratorStopGraceSecs(shutdownSecs = ORCHESTRATOR_DRAIN_SECS, delaySecs = 0): number {
  return delaySecs + shutdownSecs + ORCHESTRATOR_STOP_MARGIN_SECS;
}

/**
 * How long to wait for a worker started with SHUTDOWN_GRACE_SECS = drainSecs
 * to exit once told to stop: a preStop sleep of delaySecs (before SIGTERM, in
 * a cluster), the drain, and a margin.
 */
export function workerStopGraceSecs(drainSecs = WORKER_DRAIN_SECS, delaySecs = 0): number {
  return delaySecs + drainSecs + STOP_GRACE_MARGIN_SECS;
}

/**
 * The longest a uds sidecar's drain can take in a pod: the kubelet stops it
 * only after the orchestrator, its one client, has exited, so no call is
 * left in flight and that client's connections are closed. What can still
 * hold a connection open is an exec probe (`--probe`) already running, which
 * gives up at its own deadline; the longest is liveness'.
 */
export const SIDECAR_DRAIN_SECS = Math.ceil(Math.max(...Object.values(PROBES).map(execProbeDeadlineMs)) / 1000);

/**
 * A uds sidecar's share of its pod's grace, after the orchestrator's: its
 * drain (SHUTDOWN_GRACE_SECS cuts it shorter still) and the steps after it.
 * Its full workerStopGraceSecs would count a drain of calls that no longer
 * exist.
 */
export function sidecarStopGraceSecs(drainSecs = WORKER_DRAIN_SECS): number {
  return Math.min(drainSecs, SIDECAR_DRAIN_SECS) + STOP_GRACE_MARGIN_SECS;
}

export function shutdownContext() {
  return {
    drainSecs: WORKER_DRAIN_SECS,
    maxDrainSecs: WORKER_MAX_DRAIN_SECS,
    stopGraceSecs: workerStopGraceSecs(),
    orchestratorStopGraceSecs: orchestratorStopGraceSecs(),
    /** For scripts that follow a SHUTDOWN_TIMEOUT or SHUTDOWN_GRACE_SECS you set: the defaults and the margins past them. */
    orchestratorDrainSecs: ORCHESTRATOR_DRAIN_SECS,
    orchestratorStopMarginSecs: ORCHESTRATOR_STOP_MARGIN_SECS,
    workerStopMarginSecs: STOP_GRACE_MARGIN_SECS,
    orchestrator: ORCHESTRATOR_AFTER_DRAIN,
    worker: WORKER_AFTER_DRAIN,
  };
}
