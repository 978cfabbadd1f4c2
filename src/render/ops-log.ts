/**
 * How often a queue orchestrator logs its message counters (ops.Metrics.LogEvery), for a
 * deployment without a metrics scraper. Rendered into cmd/orchestrator/consume.go and into
 * the README's "Try it locally", which must not promise a line its short walkthrough ends
 * before: the counters also close the orchestrator's `stopped` line.
 */
export const COUNTERS_LOG = { everySeconds: 30 } as const;
