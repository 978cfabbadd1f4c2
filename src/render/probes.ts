/**
 * Every probe the kubelet (and compose's healthcheck) runs against a
 * generated container, in one table: tcp workers (grpc), uds sidecars (exec
 * `--probe`) and the orchestrator (httpGet) alike.
 *
 * Liveness is strictly more tolerant than readiness, in both its timeout and
 * the failures it takes: a container slowed by load (a contended node, or
 * CFS throttling where it has a cpu limit, answers late) leaves the endpoints through readiness long
 * before liveness would restart it, so load alone never restarts anything.
 */
export interface Probe {
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

export const PROBES = {
  // Up to 30 s to start; generous per attempt, as start-up competes for CPU.
  startup: { periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 30 },
  readiness: { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
  // Restarts only after a minute without an answer within 5 s.
  liveness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
} as const satisfies Record<string, Probe>;

/** compose's healthcheck for uds workers (interval, timeout, retries), readiness' figures. */
export const COMPOSE_HEALTHCHECK = PROBES.readiness;

/**
 * What starting and ending the `--probe` process takes out of the probe's
 * timeoutSeconds: its own deadline for connecting and for the call is the
 * rest, so it reports its failure before the kubelet gives up on it.
 */
export const EXEC_PROBE_OVERHEAD_MS = 300;

/** The worker's `--probe MILLISECONDS` deadline for a probe with this timeout. */
export function execProbeDeadlineMs(probe: Probe): number {
  return probe.timeoutSeconds * 1000 - EXEC_PROBE_OVERHEAD_MS;
}

/** What templates see as `probes`: each probe's figures and its exec deadline. */
export function probesContext() {
  const withDeadline = (p: Probe) => ({ ...p, deadlineMs: execProbeDeadlineMs(p) });
  return {
    startup: withDeadline(PROBES.startup),
    readiness: withDeadline(PROBES.readiness),
    liveness: withDeadline(PROBES.liveness),
    compose: withDeadline(COMPOSE_HEALTHCHECK),
    execOverheadMs: EXEC_PROBE_OVERHEAD_MS,
  };
}
