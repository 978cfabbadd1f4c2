import { join } from "node:path";
import { SERVING, healthCheck } from "./grpc.js";
import { startService, waitFor, type Service } from "./processes.js";

const START_TIMEOUT_MS = 60_000;

/** The generated repo's two services, started from their built binaries. */
export interface ServiceBinaries {
  repo: string;
  worker: string;
  orchestrator: string;
}

/** The worker on addr, once its gRPC health reports SERVING. */
export async function startWorker(bins: ServiceBinaries, env: Record<string, string>, addr: string, log: string): Promise<Service> {
  const w = startService("worker", bins.worker, { cwd: join(bins.repo, "worker"), env: { ...env, LISTEN_ADDR: addr }, log });
  await waitFor("the worker's gRPC health to report SERVING", w, async () => (await healthCheck(addr)) === SERVING, START_TIMEOUT_MS);
  return w;
}

/** The orchestrator on httpAddr pointed at workerAddr, once GET /readyz answers 200. */
export async function startOrchestrator(
  bins: ServiceBinaries,
  env: Record<string, string>,
  httpAddr: string,
  workerAddr: string,
  log: string,
): Promise<Service> {
  const o = startService("orchestrator", bins.orchestrator, {
    cwd: join(bins.repo, "orchestrator"),
    env: { ...env, LISTEN_ADDR: httpAddr, WORKER_ADDR: workerAddr },
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
