import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { configMaps, containerEnv, type EnvSource } from "./pod-env.js";

/**
 * What a built overlay's manifests point at is what the processes serve: each
 * probe, scrape, Service, NetworkPolicy port and worker address lands on a
 * listener the container's own settings open (LISTEN_ADDR, OPS_LISTEN_ADDR,
 * METRICS_ADDR), an exec probe runs the binary the image installs, an HTTP
 * probe asks a path the orchestrator serves, and every selector and target
 * names something the overlay renders. A mismatch (an overlay that moves
 * OPS_LISTEN_ADDR but not the probes, say) builds, passes the schemas and
 * checkov, and only fails in a cluster, so validate refuses it.
 */

/** What the repo's processes serve, read from its sources: the ops mux's GET paths (none known: unchecked), each worker image's entrypoint. */
export interface Served {
  paths?: string[];
  entrypoint(image: string): string | undefined;
}

/** The repo at DIR's ops paths (orchestrator/internal/ops/ops.go) and worker entrypoints (workers/NAME/Dockerfile). */
export function servedBy(dir: string): Served {
  const read = (path: string) => {
    try {
      return readFileSync(join(dir, path), "utf8");
    } catch {
      return undefined; // a repo reshaped by hand: what cannot be read is not checked
    }
  };
  const ops = read("orchestrator/internal/ops/ops.go");
  return {
    paths: ops === undefined ? undefined : [...ops.matchAll(/Handle(?:Func)?\("GET (\/\S*)"/g)].map((m) => m[1]!),
    entrypoint(image) {
      const m = /^ENTRYPOINT (\[.*\])$/m.exec(read(join("workers", image, "Dockerfile")) ?? "");
      return m ? (JSON.parse(m[1]!) as string[])[0] : undefined;
    },
  };
}

interface Port {
  name?: string;
  containerPort: number;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  grpc?: { port: number };
  exec?: { command: string[] };
}
interface Container extends EnvSource {
  name: string;
  image: string;
  ports?: Port[];
  volumeMounts?: { name: string; mountPath: string }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string }[];
}
interface Obj {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
    ports?: { name: string; port: number; targetPort: string | number }[];
    podSelector?: { matchLabels?: Record<string, string> };
    ingress?: { ports?: { port: string | number }[] }[];
    egress?: { to?: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port: number }[] }[];
    scaleTargetRef?: { name: string };
  };
}

/** The TCP port of a listen address (host:port), or undefined for a Unix socket. */
const tcpPort = (addr: string | undefined) => (addr && !addr.startsWith("unix://") ? Number(addr.split(":").at(-1)) : undefined);
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The faults of one built overlay (kustomize's YAML), each a line naming the object and both ends. */
export function wiringFaults(yaml: string, served: Served): string[] {
  const objs = parseAllDocuments(yaml).map((d) => d.toJS() as Obj).filter((o) => o && o.kind);
  const maps = configMaps(objs);
  const envOf = (c: Container) => containerEnv(c, maps);
  const deployments = objs.filter((o) => o.kind === "Deployment");
  const faults: string[] = [];
  const podPorts = new Map<string, Port[]>();

  for (const d of deployments) {
    const pod = d.spec!.template!;
    const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
    podPorts.set(d.metadata.name, all.flatMap((c) => c.ports ?? []));
    const where = (c: Container) => `${d.metadata.name}/${c.name}`;
    const listening = new Set<number>();
    for (const c of all) {
      const env = envOf(c);
      const listen = tcpPort(env.LISTEN_ADDR);
      const ops = tcpPort(env.OPS_LISTEN_ADDR) ?? listen;
      const own = [listen, tcpPort(env.OPS_LISTEN_ADDR), tcpPort(env.METRICS_ADDR)].filter((p): p is number => p !== undefined);
      own.forEach((p) => listening.add(p));
      // Every containerPort is one it listens on, and every port it listens on is declared (policies and scrapes name them).
      const declared = (c.ports ?? []).map((p) => p.containerPort);
      if ([...declared].sort().join() !== [...own].sort().join()) faults.push(`${where(c)}: containerPorts ${declared} but listens on ${own}`);
      const byName = (port: string | number) => (typeof port === "number" ? port : c.ports?.find((p) => p.name === port)?.containerPort);
      for (const [kind, probe] of Object.entries({ startup: c.startupProbe, liveness: c.livenessProbe, readiness: c.readinessProbe })) {
        if (!probe) continue;
        if (probe.httpGet) {
          if (byName(probe.httpGet.port) !== ops) faults.push(`${where(c)} ${kind}: httpGet port ${probe.httpGet.port}, ops listener ${ops}`);
          if (served.paths && !served.paths.includes(probe.httpGet.path)) faults.push(`${where(c)} ${kind}: ${probe.httpGet.path} is not served (${served.paths})`);
        } else if (probe.grpc) {
          if (probe.grpc.port !== listen) faults.push(`${where(c)} ${kind}: grpc port ${probe.grpc.port}, LISTEN_ADDR ${env.LISTEN_ADDR}`);
        } else if (probe.exec) {
          // The worker's own binary, as its image installs it, checking the socket its LISTEN_ADDR names.
          const image = c.image.split("/").at(-1)!.split(":")[0]!;
          if (probe.exec.command[0] !== served.entrypoint(image)) faults.push(`${where(c)} ${kind}: runs ${probe.exec.command[0]}, the image's entrypoint is ${served.entrypoint(image)}`);
          if (!env.LISTEN_ADDR?.startsWith("unix://")) faults.push(`${where(c)} ${kind}: exec probe on a tcp listener`);
        } else faults.push(`${where(c)} ${kind}: no handler`);
      }
      // A socket lives on a volume every container of the pod that uses it mounts.
      if (env.LISTEN_ADDR?.startsWith("unix://")) {
        const socket = env.LISTEN_ADDR.slice("unix://".length);
        const mount = c.volumeMounts?.find((m) => socket.startsWith(`${m.mountPath}/`));
        if (!mount || !pod.spec.volumes?.some((v) => v.name === mount.name)) faults.push(`${where(c)}: ${socket} is on no pod volume`);
      }
    }
    // Prometheus' annotation names a port some container of the pod serves /metrics on.
    const scrape = pod.metadata.annotations?.["prometheus.io/port"];
    if (scrape !== undefined && !listening.has(Number(scrape))) faults.push(`${d.metadata.name}: prometheus.io/port ${scrape} is no listener (${[...listening]})`);
    if (d.metadata.name === "orchestrator" && served.paths && !served.paths.includes(pod.metadata.annotations?.["prometheus.io/path"] ?? "")) faults.push("orchestrator: prometheus.io/path not served");

    // The orchestrator's address of each worker: a Service in front of that worker's pods, or the socket its sidecar serves.
    if (d.metadata.name !== "orchestrator") continue;
    const env = envOf(pod.spec.containers.find((c) => c.name === "orchestrator")!);
    for (const [key, addr] of Object.entries(env).filter(([k]) => /^WORKER_\w+_ADDR$/.test(k))) {
      if (addr.startsWith("unix://")) {
        const sidecar = (pod.spec.initContainers ?? []).find((c) => envOf(c).LISTEN_ADDR === addr);
        if (!sidecar) faults.push(`orchestrator ${key}=${addr}: no sidecar listens there`);
        const mounted = pod.spec.containers[0]!.volumeMounts?.some((m) => addr.slice("unix://".length).startsWith(`${m.mountPath}/`));
        if (!mounted) faults.push(`orchestrator ${key}=${addr}: its directory is not mounted in the orchestrator`);
        continue;
      }
      const m = /^dns:\/\/\/([^:]+):(\d+)$/.exec(addr);
      const svc = m && objs.find((o) => o.kind === "Service" && o.metadata.name === m[1]);
      const port = svc?.spec!.ports!.find((p) => p.port === Number(m![2]));
      const target = svc && deployments.find((t) => selects(svc.spec!.selector, t.spec!.template!.metadata.labels));
      const reached = target && port && target.spec!.template!.spec.containers.some((c) => c.ports?.some((p) => p.name === port.targetPort && p.containerPort === tcpPort(envOf(c).LISTEN_ADDR)));
      if (!reached) faults.push(`orchestrator ${key}=${addr}: no Service port reaches a worker's LISTEN_ADDR`);
    }
  }

  return [...faults, ...selectorFaults(objs, deployments, podPorts)];
}

/** Services, disruption budgets, autoscalers and NetworkPolicies select or target pods the overlay renders, on ports they declare. */
function selectorFaults(objs: Obj[], deployments: Obj[], podPorts: Map<string, Port[]>): string[] {
  const faults: string[] = [];
  for (const o of objs) {
    const labels = deployments.map((d) => d.spec!.template!.metadata.labels);
    if (o.kind === "Service") {
      const target = deployments.filter((d) => selects(o.spec!.selector, d.spec!.template!.metadata.labels));
      if (target.length !== 1) faults.push(`Service ${o.metadata.name}: selects ${target.length} Deployments`);
      for (const p of o.spec!.ports ?? []) if (!podPorts.get(target[0]?.metadata.name ?? "")?.some((c) => c.name === p.targetPort)) faults.push(`Service ${o.metadata.name}: targetPort ${p.targetPort} is no containerPort`);
    }
    if (o.kind === "PodDisruptionBudget" && !labels.some((l) => selects(o.spec!.selector!.matchLabels, l))) faults.push(`PDB ${o.metadata.name}: selects no pod`);
    if ((o.kind === "HorizontalPodAutoscaler" || o.kind === "ScaledObject") && !deployments.some((d) => d.metadata.name === o.spec!.scaleTargetRef!.name)) faults.push(`${o.kind} ${o.metadata.name}: no such Deployment`);
    if (o.kind !== "NetworkPolicy") continue;
    const selected = deployments.filter((d) => selects(o.spec!.podSelector!.matchLabels ?? {}, d.spec!.template!.metadata.labels));
    if (selected.length === 0) faults.push(`NetworkPolicy ${o.metadata.name}: selects no pod`);
    // An admitted port is one the selected pods declare (a named one resolves only so).
    for (const rule of o.spec!.ingress ?? []) {
      for (const { port } of rule.ports ?? []) {
        const ok = selected.every((d) => podPorts.get(d.metadata.name)!.some((p) => p.name === port || p.containerPort === port));
        if (!ok) faults.push(`NetworkPolicy ${o.metadata.name}: ingress port ${port} on no container of its pods`);
      }
    }
    // Egress to pods of this namespace goes to a port they declare.
    for (const rule of o.spec!.egress ?? []) {
      for (const to of rule.to ?? []) {
        if (!to.podSelector || Object.keys(to).length !== 1) continue;
        const peers = deployments.filter((d) => selects(to.podSelector!.matchLabels, d.spec!.template!.metadata.labels));
        if (peers.length === 0) faults.push(`NetworkPolicy ${o.metadata.name}: egress to no pod`);
        for (const { port } of rule.ports ?? []) {
          if (!peers.every((d) => podPorts.get(d.metadata.name)!.some((p) => p.containerPort === port))) faults.push(`NetworkPolicy ${o.metadata.name}: egress port ${port} on no peer container`);
        }
      }
    }
  }
  return faults;
}
