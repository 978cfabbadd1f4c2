import type { Manifest } from "../manifest.js";
import { SCALE, serviceResources, type Resources } from "./resources.js";
import { otelServiceName, workerMetricsPort } from "./otel-env.js";
import { KUBE_SHUTDOWN_DELAY_SECS, WORKER_DRAIN_SECS, sidecarStopGraceSecs, socketAddr, workerStopGraceSecs, type WorkerContext } from "./workers.js";

/** A worker as the Kubernetes templates see it (k8s.workers): WorkerContext plus where it listens and how it is sized. */
export interface KubeWorker extends WorkerContext {
  image: string;
  /** The orchestrator's value of WORKER_<NAME>_ADDR. */
  addr: string;
  /** The worker's LISTEN_ADDR. */
  listenAddr: string;
  /** Port of the gRPC health service the kubelet probes (tcp workers; uds sidecars are probed with --probe). */
  probePort: number;
  /** Its SHUTDOWN_GRACE_SECS. */
  drainSecs: number;
  /**
   * Its preStop sleep (tcp): it serves on, SERVING, while what routes to its
   * Service follows the endpoint's removal (KUBE_SHUTDOWN_DELAY_SECS, the
   * orchestrator's SHUTDOWN_DELAY too). A sleep in the pod rather than a
   * setting of the worker's that turned NOT_SERVING first, as the
   * orchestrator's /readyz does: the orchestrator's client routes by the
   * workers' health and learns of new replicas only when it resolves the name
   * again, so a replica leaving at once could leave it, mid-rollout, with none
   * it knows of. 0 for a sidecar: nothing routes to it by endpoints, and the
   * kubelet stops it after its one client has exited.
   */
  shutdownDelaySecs: number;
  /** Seconds from the stop to its exit in a pod of its own (tcp): the delay, its SHUTDOWN_GRACE_SECS, the steps after it. */
  stopGraceSecs: number;
  /** Its /metrics port (METRICS_ADDR); unique in the pod, as sidecars share one. */
  metricsPort: number;
  /** The metrics containerPort's name: at most 15 characters, unique in the pod. */
  metricsPortName: string;
  uds: boolean;
  /**
   * Its HorizontalPodAutoscaler's floor: two of a worker the orchestrator
   * calls (one survives a disruption), one of a worker nothing routes to yet,
   * which gets no PodDisruptionBudget either.
   */
  minReplicas: number;
  resources: Resources;
  /**
   * The resource its CPU_BUDGET comes from (downward API): its cpu limit if
   * it has one, else its request; never left unset, as without a limit the
   * CPUs it may run on are the node's.
   */
  cpuBudgetFrom: "limits.cpu" | "requests.cpu";
  env: string;
  config: [string, string][];
}

/**
 * The orchestrator pod's terminationGracePeriodSeconds: the longest path from
 * SIGTERM to the last exit. The kubelet signals native sidecars only once the
 * main container has exited, then one after another in reverse order, so the
 * path is the orchestrator's stop grace followed by every sidecar's in turn,
 * each the stop of a worker whose one client is gone (sidecarStopGraceSecs).
 */
export function orchestratorPodGraceSecs(orchestratorGraceSecs: number, sidecars: Pick<KubeWorker, "drainSecs">[]): number {
  return sidecars.reduce((total, w) => total + sidecarStopGraceSecs(w.drainSecs), orchestratorGraceSecs);
}

/** A worker as the manifests place it: its addresses, ports, sizing, replica floor and settings. */
export function kubeWorker(m: Manifest, w: WorkerContext): KubeWorker {
  const uds = w.transport === "uds";
  const socket = socketAddr(w.name);
  const listenAddr = uds ? socket : `0.0.0.0:${w.port}`;
  const metricsPort = workerMetricsPort(w.port);
  const drainSecs = WORKER_DRAIN_SECS;
  const shutdownDelaySecs = uds ? 0 : KUBE_SHUTDOWN_DELAY_SECS;
  const resources = serviceResources("worker");
  const config: [string, string][] = [
    ["LISTEN_ADDR", listenAddr],
    ["METRICS_ADDR", `0.0.0.0:${metricsPort}`],
    ["RUST_LOG", "info"],
    ["SHUTDOWN_GRACE_SECS", String(drainSecs)],
    ["OTEL_SERVICE_NAME", otelServiceName(m, w.name)],
  ];
  return {
    ...w,
    image: `${m.ci.registry}/${w.name}`,
    // dns:/// resolves every address of the headless Service, for client-side balancing.
    addr: uds ? socket : `dns:///${w.name}:${w.port}`,
    listenAddr,
    probePort: w.port,
    metricsPort,
    drainSecs,
    shutdownDelaySecs,
    stopGraceSecs: workerStopGraceSecs(drainSecs, shutdownDelaySecs),
    // A tcp worker has the pod to itself; sidecars are told apart by their index.
    metricsPortName: uds ? `metrics-${w.index}` : "metrics",
    uds,
    minReplicas: w.routed ? SCALE.min : 1,
    resources,
    cpuBudgetFrom: resources.limits.cpu === null ? "requests.cpu" : "limits.cpu",
    config,
  };
}
