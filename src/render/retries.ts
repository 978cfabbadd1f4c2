/**
 * The retry budget of the generated orchestrator, one layer per field. The Go
 * code takes each number from here by substitution (pipeline/retry.go,
 * awsenv/attempts.go, workerclient/client.go) and so does the README's
 * "Limits and retries" section, whose worst-case wait is computed from the
 * backoff parameters (retryWorstWait) rather than typed beside them.
 */
export const RETRIES = {
  /** pipeline.Retry: calls, the first included, a queue consumer or cmd/produce makes of a transient failure. */
  pipelineAttempts: 8,
  /** pipeline.Retry's ceiling of the first delay, in milliseconds; each later ceiling doubles. */
  pipelineBaseMs: 100,
  /** pipeline.Retry's cap on every delay, in milliseconds: also the longest wait between retries of a shed call. */
  pipelineMaxMs: 5000,
  /** awsenv.SDKAttempts: attempts of each AWS call inside the SDK, the first included. */
  sdkAttempts: 2,
  /** The gRPC retry policy's maxAttempts: UNAVAILABLE replayed once inside one REQUEST_TIMEOUT. */
  grpcAttempts: 2,
} as const;

/**
 * The longest pipeline.Retry can wait over all its attempts, in milliseconds:
 * full jitter draws each delay from [0, ceiling], so the worst case is the sum
 * of the ceilings min(max, base·2ⁿ) over the attempts-1 waits, and the mean is
 * half of it. Mirrors Retry.Delay in pipeline/retry.go.
 */
export function retryWorstWaitMs(r: { pipelineAttempts: number; pipelineBaseMs: number; pipelineMaxMs: number } = RETRIES): number {
  let total = 0;
  let ceiling = r.pipelineBaseMs;
  for (let wait = 1; wait < r.pipelineAttempts; wait++) {
    total += Math.min(ceiling, r.pipelineMaxMs);
    ceiling *= 2;
  }
  return total;
}

/** Seconds, rounded, for prose ("about 11 s"). */
const seconds = (ms: number) => Math.round(ms / 1000);

/** What the templates substitute: the constants, the derived waits and the seconds the README states. */
export function retriesContext() {
  const worstMs = retryWorstWaitMs();
  return {
    ...RETRIES,
    pipelineMaxSeconds: RETRIES.pipelineMaxMs / 1000,
    worstWaitSeconds: seconds(worstMs),
    meanWaitSeconds: seconds(worstMs / 2),
  };
}
