import type { Manifest } from "../manifest.js";

/**
 * The telemetry both services emit and `validate`'s smoke checks: one table,
 * so the Go and Rust code (rendered from it), the READMEs and the smoke's
 * assertions cannot disagree on a span or metric name.
 *
 * Names follow the OpenTelemetry semantic conventions (HTTP, RPC and messaging
 * spans and metrics, v1.37) written the Prometheus way: dots become
 * underscores, the unit becomes a suffix (`_seconds`), counters end in `_total`.
 */

/** The gRPC method names of the contract, as `package.Service/Method` (the span name otelgrpc and the worker use). */
export function rpcSpanName(m: Manifest, method: "Score" | "ScoreBatch"): string {
  return `${m.contract.package}.ScoringService/${method}`;
}

/**
 * The worker's child spans of each call's server span, in the order a call
 * passes through them: where the worker's time goes.
 */
export const WORKER_PHASE_SPANS = ["decode", "validate", "queue", "score"] as const;

/**
 * The orchestrator's span around a coalesced ScoreBatch call: the child of
 * its first member's span, linked to every member's, the parent of the
 * worker call's CLIENT span.
 */
export const COALESCE_SPAN = "coalesce";

/**
 * The queue orchestrator's span around an isolation canary: the known-valid
 * Score call it sends when records failed alone and nothing else scored, to
 * tell poison from a broken worker. It starts a trace of its own (it must not
 * carry a record's trace context to the worker), linked to the span of each
 * record it speaks for, and is the parent of the call's CLIENT span.
 */
export const CANARY_SPAN = "canary";

export interface MetricDoc {
  name: string;
  type: "counter" | "gauge" | "histogram" | "info";
  labels: string[];
  meaning: string;
}

/** Metrics the orchestrator exposes on `/metrics` (its LISTEN_ADDR), besides Go runtime and process metrics. */
export function orchestratorMetrics(m: Manifest): MetricDoc[] {
  const { ingress } = m.orchestrator;
  const rows: MetricDoc[] = [];
  if (ingress === "http") {
    rows.push({
      name: "http_server_request_duration_seconds",
      type: "histogram",
      labels: ["http_request_method", "http_route", "http_response_status_code"],
      meaning: "time from request to response, per route",
    });
    rows.push({
      name: "orchestrator_admission_limit_bytes",
      type: "gauge",
      labels: [],
      meaning: "request body bytes the scoring routes admit at once now: an adaptive limit within MAX_IN_FLIGHT_BYTES that falls while requests take over three times their unloaded time per 4 KiB of body, and by a tenth for each call the worker refuses for load",
    });
  } else {
    rows.push(
      {
        name: "messaging_process_duration_seconds",
        type: "histogram",
        labels: ["messaging_system", "messaging_destination_name", "outcome"],
        meaning: ingress === "sqs" ? "time to handle one SQS message, receive to delete" : "time to handle one Kinesis record batch",
      },
      {
        name: "messaging_batch_message_count",
        type: "histogram",
        labels: ["messaging_system", "messaging_destination_name"],
        meaning: ingress === "sqs" ? "messages per SQS receive" : "records per Kinesis GetRecords batch",
      },
      {
        name: "orchestrator_messages_processed_total",
        type: "counter",
        labels: [],
        meaning:
          m.orchestrator.sink === "dynamodb"
            ? "requests scored and stored, each once: when its result is first written to the results table (a redelivery of a stored request counts in orchestrator_messages_stored_before_total instead)"
            : "requests scored and logged, once per delivery: the log sink keeps nothing, so a redelivered request is logged and counted again",
      },
      {
        name: "orchestrator_messages_stored_before_total",
        type: "counter",
        labels: [],
        meaning:
          m.orchestrator.sink === "dynamodb"
            ? "redelivered requests scored again whose result an earlier delivery had stored: the stored result stands, nothing is written"
            : "always 0: the log sink keeps nothing to recognise a redelivery by",
      },
      { name: "orchestrator_messages_failed_total", type: "counter", labels: [], meaning: "requests whose handling failed and will be tried again" },
      { name: "orchestrator_retries_total", type: "counter", labels: [], meaning: "retries of worker and sink calls after transient failures" },
      {
        name: "orchestrator_throttled_calls_total",
        type: "counter",
        labels: [],
        meaning: `AWS calls throttled (${[
          ingress === "kinesis" ? "Kinesis reads, lease table writes" : "SQS receives",
          ...(m.orchestrator.sink === "dynamodb" ? ["results table writes"] : []),
        ].join(", ")}), each tried again after a backoff: routine under load, so logged at DEBUG only, and a sustained rate calls for more capacity`,
      },
      { name: "orchestrator_messages_dead_lettered_total", type: "counter", labels: [], meaning: "poison messages dead-lettered" },
      { name: "orchestrator_conflicts_total", type: "counter", labels: [], meaning: "requests whose id was already stored for a different request" },
      {
        name: "orchestrator_canaries_total",
        type: "counter",
        labels: ["outcome"],
        meaning:
          "known-valid Score calls (canaries) sent when records failed alone and nothing else scored, by outcome: scored (the worker works, so the records are poison once they fail alone again) or failed (the worker itself is suspected, and the records are held)",
      },
    );
  }
  if (ingress === "sqs") {
    rows.push(
      {
        name: "orchestrator_message_age_seconds",
        type: "histogram",
        labels: ["messaging_destination_name"],
        meaning: "each SQS message's age when received (now − its SentTimestamp): how far consuming is behind the queue",
      },
      {
        name: "orchestrator_acknowledge_failures_total",
        type: "counter",
        labels: ["call"],
        meaning:
          "SQS messages an acknowledgement failed for, by call: DeleteMessageBatch (stored but left undeleted after its retries, so redelivered; the stored result makes that a no-op) or ChangeMessageVisibilityBatch (an extension or release failed, so a message in hand may reappear to another consumer); logged too, and /readyz answers 503 naming the call once it keeps failing",
      },
    );
  }
  if (ingress === "kinesis") {
    rows.push(
      { name: "orchestrator_leases_taken_total", type: "counter", labels: [], meaning: "Kinesis shard leases taken" },
      {
        name: "orchestrator_leases_lost_total",
        type: "counter",
        labels: ["reason"],
        meaning:
          "Kinesis shard leases found taken by another replica, by reason: rebalanced (taken from this live replica to even out the shares, routine) or expired (taken once this replica's renewals had stopped landing for a lease duration)",
      },
      { name: "orchestrator_leases_released_on_error_total", type: "counter", labels: [], meaning: "Kinesis shard leases given up after too many failures in a row" },
      { name: "orchestrator_dead_letter_failures_total", type: "counter", labels: [], meaning: "poison records the dead-letter table refused for good: their shard pauses until the table takes them (logged with shard and sequence number)" },
      {
        name: "orchestrator_shards_aged_out_total",
        type: "counter",
        labels: [],
        meaning: "Kinesis shards that aged out of the stream's retention before being read to their end: the records after their checkpoint were lost (logged with shard and checkpoint)",
      },
      { name: "orchestrator_shard_millis_behind_latest", type: "gauge", labels: ["shard_id"], meaning: "how far each shard's reader is behind the tip of the stream" },
    );
  }
  rows.push(
    {
      name: "rpc_client_call_duration_seconds",
      type: "histogram",
      labels: ["worker", "rpc_method", "rpc_grpc_status_code"],
      meaning: "each call to a worker, retries included, by gRPC status",
    },
    { name: "orchestrator_worker_retries_total", type: "counter", labels: ["worker"], meaning: "worker calls tried again after a transient failure" },
    { name: "orchestrator_worker_batch_items", type: "histogram", labels: ["worker"], meaning: "requests per ScoreBatch call to a worker" },
    {
      name: "orchestrator_coalesced_batch_size",
      type: "histogram",
      labels: ["worker"],
      meaning: "single requests per call the coalescer made to a worker (1: sent alone, no call was in flight)",
    },
  );
  return rows;
}

/**
 * What the Go templates see as `telemetry`: each orchestrator metric with the
 * name of the Go constant that holds its name (`http_server_request_duration_seconds`
 * → `HTTPServerRequestDurationSeconds`), so Go code cannot use a name the table lacks.
 */
export function telemetryContext(m: Manifest) {
  const initialisms: Record<string, string> = { http: "HTTP", rpc: "RPC", grpc: "GRPC", id: "ID" };
  const goName = (name: string) =>
    name
      .split("_")
      .map((w) => initialisms[w] ?? w.charAt(0).toUpperCase() + w.slice(1))
      .join("");
  return {
    metrics: orchestratorMetrics(m).map((row) => ({ ...row, goName: goName(row.name) })),
    rpc: { score: rpcSpanName(m, "Score"), scoreBatch: rpcSpanName(m, "ScoreBatch") },
    coalesceSpan: COALESCE_SPAN,
    canarySpan: CANARY_SPAN,
  };
}

/** Metrics each worker exposes on `/metrics` at its METRICS_ADDR, besides process metrics. */
export const WORKER_METRICS: readonly MetricDoc[] = [
  { name: "rpc_server_call_duration_seconds", type: "histogram", labels: ["rpc_method", "rpc_grpc_status_code"], meaning: "each call, decode to response, by gRPC status" },
  { name: "scoring_batch_items", type: "histogram", labels: [], meaning: "items per ScoreBatch call" },
  { name: "scoring_shed_calls_total", type: "counter", labels: ["rpc_method"], meaning: "calls answered RESOURCE_EXHAUSTED without being scored" },
  { name: "scoring_shed_duration_seconds", type: "histogram", labels: ["rpc_method"], meaning: "time from a shed call's arrival to its RESOURCE_EXHAUSTED answer" },
  { name: "scoring_in_flight_calls", type: "gauge", labels: [], meaning: "scoring calls queued or running" },
  { name: "scoring_admission_limit", type: "gauge", labels: [], meaning: "permits the adaptive admission limit lets be in use now; it falls while calls take longer than unloaded ones" },
  { name: "scoring_pool_queue_duration_seconds", type: "histogram", labels: [], meaning: "time a call waits for the CPU pool" },
  { name: "scoring_model_info", type: "info", labels: ["model_version"], meaning: "the loaded model (value 1)" },
  { name: "worker_grpc_connections_refused_total", type: "counter", labels: [], meaning: "gRPC connections closed on arrival because the worker already held its most (worker_kit::connections::MAX_CONNECTIONS); clients see them reset" },
  { name: "worker_log_lines_dropped_total", type: "counter", labels: [], meaning: "log lines dropped because stdout did not keep up (a full pipe, a stalled collector)" },
];

/** Each worker's local metrics port is its gRPC port plus this (50051 → 51051), so no two workers share one. */
export const WORKER_METRICS_PORT_OFFSET = 1000;

/** The standard process collector's metrics both services expose beside their own (the dashboard's memory and CPU panels). */
export const PROCESS_METRICS = ["process_resident_memory_bytes", "process_cpu_seconds_total"] as const;

/**
 * What the worker-kit templates see as `workerTelemetry`: the span names of both
 * methods, the phase spans and the metric table, rendered into
 * `workers/worker-kit/src/telemetry/names.rs`.
 */
export function workerTelemetry(m: Manifest) {
  return {
    scoreSpan: rpcSpanName(m, "Score"),
    scoreBatchSpan: rpcSpanName(m, "ScoreBatch"),
    phases: WORKER_PHASE_SPANS.map((name) => ({ name, constant: name.toUpperCase() })),
    metrics: WORKER_METRICS.map((row) => ({ ...row, constant: row.name.toUpperCase(), help: `${row.meaning[0]!.toUpperCase()}${row.meaning.slice(1)}.` })),
    // Each name by itself, for a template that reads one series (loadgen): strict rendering
    // fails on a name the table no longer has, rather than scraping a series that is gone.
    name: Object.fromEntries(WORKER_METRICS.map((row) => [row.name, row.name])),
  };
}
