import { parseAllDocuments } from "yaml";
import { configMaps, containerEnv, type EnvSource } from "./pod-env.js";
import { orchestratorPodGraceSecs } from "../render/kube-workers.js";
import { ORCHESTRATOR_DRAIN_SECS, WORKER_DRAIN_SECS, orchestratorStopGraceSecs, workerStopGraceSecs } from "../render/workers.js";

/**
 * Every pod's terminationGracePeriodSeconds against the drains its containers
 * are configured for, in a built overlay. The generated grace is derived from
 * the default SHUTDOWN_TIMEOUT, SHUTDOWN_DELAY, SHUTDOWN_GRACE_SECS and the
 * tcp workers' preStop sleep (render/workers.ts); an overlay that raises one
 * without the grace would have the kubelet SIGKILL a drain midway, which
 * nothing else notices, so validate refuses it. The kubelet counts the grace
 * from the stop, preStop hook included, so a sleep there comes off the drain.
 */

export interface Container extends EnvSource {
  name: string;
  restartPolicy?: string;
  lifecycle?: { preStop?: { sleep?: { seconds?: number } } };
}

interface PodSpec {
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  initContainers?: Container[];
}

interface K8sObject {
  kind?: string;
  metadata?: { name?: string };
  data?: Record<string, string>;
  spec?: { template?: { spec?: PodSpec } };
}

/** The kubelet's grace when a pod names none. */
const DEFAULT_GRACE_SECS = 30;

const GO_UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };

/** Seconds in a Go duration (time.ParseDuration: 10s, 1m30s, 1.5h), rounded up; undefined if it is not one. */
export function goDurationSecs(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text) return undefined;
  return Math.ceil(parts.reduce((sum, [, n, unit]) => sum + Number(n) * GO_UNITS[unit!]!, 0));
}

/** A container's value of an environment variable, as the kubelet sets it (pod-env.ts). */
export function envOf(c: Container, maps: Map<string, Record<string, string>>, name: string): string | undefined {
  return containerEnv(c, maps)[name];
}

/** A container's preStop sleep in seconds (0 without one): it runs before SIGTERM, inside the grace. */
function preStopSecs(c: Container): number {
  return c.lifecycle?.preStop?.sleep?.seconds ?? 0;
}

/** One line per pod whose grace ends before the drains it is configured for; none when all fit. */
export function graceFaults(yaml: string): string[] {
  const objects = parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null);
  const maps = configMaps(objects);
  const faults: string[] = [];
  for (const o of objects) {
    const pod = o.spec?.template?.spec;
    if (o.kind !== "Deployment" || !pod) continue;
    const why: string[] = [];
    const workerGrace = (c: Container) => {
      const raw = envOf(c, maps, "SHUTDOWN_GRACE_SECS");
      const secs = raw === undefined ? WORKER_DRAIN_SECS : Number(raw);
      if (preStopSecs(c) > 0) why.push(`${c.name} preStop sleep ${preStopSecs(c)}s`);
      if (raw !== undefined) why.push(`${c.name} SHUTDOWN_GRACE_SECS=${raw}`);
      const drainSecs = Number.isFinite(secs) ? secs : WORKER_DRAIN_SECS;
      return { drainSecs, stopGraceSecs: workerStopGraceSecs(drainSecs, preStopSecs(c)) };
    };
    const orchestrator = pod.containers.find((c) => c.name === "orchestrator");
    const sidecars = (pod.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map(workerGrace);
    let needed: number;
    if (orchestrator) {
      const raw = envOf(orchestrator, maps, "SHUTDOWN_TIMEOUT");
      if (raw !== undefined) why.unshift(`SHUTDOWN_TIMEOUT=${raw}`);
      // The HTTP API's SHUTDOWN_DELAY comes before its drain (default 0: none).
      const rawDelay = envOf(orchestrator, maps, "SHUTDOWN_DELAY");
      if (rawDelay !== undefined) why.unshift(`SHUTDOWN_DELAY=${rawDelay}`);
      const drain = raw === undefined ? ORCHESTRATOR_DRAIN_SECS : (goDurationSecs(raw) ?? ORCHESTRATOR_DRAIN_SECS);
      if (preStopSecs(orchestrator) > 0) why.unshift(`orchestrator preStop sleep ${preStopSecs(orchestrator)}s`);
      const delay = (rawDelay === undefined ? 0 : (goDurationSecs(rawDelay) ?? 0)) + preStopSecs(orchestrator);
      needed = orchestratorPodGraceSecs(orchestratorStopGraceSecs(drain, delay), sidecars);
    } else {
      needed = Math.max(...pod.containers.map((c) => workerGrace(c).stopGraceSecs));
    }
    const grace = pod.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECS;
    if (grace < needed) {
      faults.push(`Deployment ${o.metadata?.name}: terminationGracePeriodSeconds ${grace} is shorter than the ${needed}s its drains take (${why.join(", ")}); raise it with them`);
    }
  }
  return faults;
}
