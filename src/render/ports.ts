import { ORCHESTRATOR_OPS_PORT, ORCHESTRATOR_PORT } from "./settings.js";
import { FIRST_WORKER_PORT } from "./workers.js";

/**
 * The services' default ports, for the templates that state them outside the
 * settings table: the scripts' defaults and examples (run.sh, wait-ready.sh),
 * the orchestrator image's EXPOSE, the README's commands, Go comments and
 * messages. Each is owned where its setting is (settings.ts LISTEN_ADDR,
 * OPS_LISTEN_ADDR; workers.ts the first worker's), so none is typed twice.
 */
export function portsContext() {
  return {
    /** LISTEN_ADDR's port: the HTTP API, or a queue preset's ops endpoints. */
    orchestrator: ORCHESTRATOR_PORT,
    /** OPS_LISTEN_ADDR's port in the cluster (HTTP preset). */
    orchestratorOps: ORCHESTRATOR_OPS_PORT,
    /** The first (primary) worker's gRPC port; each next worker's is one more. */
    firstWorker: FIRST_WORKER_PORT,
  } as const;
}
