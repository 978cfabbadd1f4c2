import { join } from "node:path";
import { orchestratorStopGraceSecs, workerAddrVar, workerStopGraceSecs } from "../render/workers.js";
import { SERVING, healthCheck } from "./grpc.js";
import { removeTemp, tempFolder } from "./lifecycle.js";
import { freePort } from "./ports.js";
import { killAll, startService, stopGracefully, waitFor, type Service } from "./processes.js";

const START_TIMEOUT_MS = 60_000;

/** One worker's built binary, by its manifest name, and how the orchestrator reaches it (default tcp). */
export interface WorkerBinary {
  name: string;
  bin: string;
  transport?: "tcp" | "uds";
}

/** The generated repo's services, started from their built binaries; workers[0] is the primary. */
export interface ServiceBinaries {
  repo: string;
  workers: WorkerBinary[];
  orchestrator: string;
}

/** A worker's name and gRPC address, as the orchestrator is told it. */
export interface WorkerAddr {
  name: string;
  addr: string;
}

export interface RunningWorker extends WorkerAddr {
  service: Service;
}

/** One worker on addr, once its gRPC health reports SERVING. */
export async function startWorker(repo: string, worker: WorkerBinary, env: Record<string, string>, addr: string, log: string): Promise<Service> {
  // A free metrics port too, unless the caller chose one (the smoke scrapes it): the default
  // (gRPC port + an offset) would clash between parallel runs.
  const metrics = env.METRICS_ADDR ?? `127.0.0.1:${await freePort()}`;
  const w = startService(worker.name, worker.bin, { cwd: join(repo, "workers", worker.name), env: { ...env, LISTEN_ADDR: addr, METRICS_ADDR: metrics }, log });
  try {
    await waitFor(`${worker.name}'s gRPC health to report SERVING`, w, async () => (await healthCheck(addr)) === SERVING, START_TIMEOUT_MS);
  } catch (e) {
    // The caller never sees a worker that failed to start: it must not outlive the run.
    killAll([w]);
    throw e;
  }
  return w;
}

/**
 * Every worker on its own free loopback port, or, with transport uds, on a
 * Unix socket in a fresh temp dir (as in a pod or compose), in manifest order.
 * Each one is pushed to `into` as soon as it starts, so the caller can kill it
 * even when a later one fails. `own` adds settings for one worker (its telemetry).
 */
export async function startWorkers(
  bins: ServiceBinaries,
  env: Record<string, string>,
  log: (name: string) => string,
  into: Service[],
  own: (name: string) => Record<string, string> = () => ({}),
): Promise<RunningWorker[]> {
  const running: RunningWorker[] = [];
  for (const worker of bins.workers) {
    const socketDir = worker.transport === "uds" ? tempFolder("chb-sock-") : undefined;
    const addr = socketDir ? `unix://${join(socketDir, `${worker.name}.sock`)}` : `127.0.0.1:${await freePort()}`;
    // The socket's folder goes with the worker, whether it stops, is killed or never starts.
    const service = await startWorker(bins.repo, worker, { ...env, ...own(worker.name) }, addr, log(worker.name)).catch((e: unknown) => {
      if (socketDir) removeTemp(socketDir);
      throw e;
    });
    if (socketDir) void service.proc.finally(() => removeTemp(socketDir));
    into.push(service);
    running.push({ name: worker.name, addr, service });
  }
  return running;
}

/** The orchestrator's WORKER_<NAME>_ADDR variables. */
export function workerEnv(workers: readonly WorkerAddr[]): Record<string, string> {
  return Object.fromEntries(workers.map((w) => [workerAddrVar(w.name), w.addr]));
}

/** The orchestrator on httpAddr pointed at the workers, once GET /readyz answers 200. */
export async function startOrchestrator(
  bins: ServiceBinaries,
  env: Record<string, string>,
  httpAddr: string,
  workers: readonly WorkerAddr[],
  log: string,
): Promise<Service> {
  const o = startService("orchestrator", bins.orchestrator, {
    cwd: join(bins.repo, "orchestrator"),
    env: { ...env, ...workerEnv(workers), LISTEN_ADDR: httpAddr },
    log,
  });
  await waitFor("GET /readyz to return 200", o, async () => (await fetch(`http://${httpAddr}/readyz`)).status === 200, START_TIMEOUT_MS);
  return o;
}

/** A Prometheus counter's value in /metrics text (0 when absent). */
export function metricValue(metrics: string, name: string): number {
  const line = metrics.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

/**
 * Stops the orchestrator as its platform would: SIGTERM, then exit code 0
 * required within the grace period compose and Kubernetes give it before
 * SIGKILL, for the SHUTDOWN_TIMEOUT (seconds) it was started with.
 */
export function stopOrchestrator(service: Service, shutdownSecs?: number): Promise<void> {
  return stopGracefully(service, orchestratorStopGraceSecs(shutdownSecs) * 1000);
}

/** Stops a worker the same way, within its grace period. */
export function stopWorker(service: Service): Promise<void> {
  return stopGracefully(service, workerStopGraceSecs() * 1000);
}
