import type { Manifest } from "../manifest.js";
import { orchestratorMetrics, PROCESS_METRICS, WORKER_METRICS, type MetricDoc } from "./telemetry.js";

/**
 * The Grafana dashboard, rendered from the telemetry table so every panel
 * queries a metric both services really expose: latency per hop (front door,
 * orchestrator → worker, worker server, pool queue), shed rate, batch sizes,
 * throughput by outcome, in-flight calls and memory. The data source is the
 * DS_PROMETHEUS variable, so the file imports as is into any Grafana.
 */

const DS = { type: "prometheus", uid: "${DS_PROMETHEUS}" };
const RATE = "$__rate_interval";

interface Panel {
  title: string;
  unit: string;
  targets: { expr: string; legend: string }[];
  description: string;
}

function metric(rows: readonly MetricDoc[], name: string): string {
  const row = rows.find((r) => r.name === name);
  if (!row) throw new Error(`the dashboard queries ${name}, which telemetry.ts does not list`);
  return row.name;
}

/** p50/p95/p99 of a histogram, summed over `by` (plus le). */
function quantiles(histogram: string, by: string[] = []): { expr: string; legend: string }[] {
  const group = ["le", ...by].join(", ");
  const suffix = by.map((b) => ` {{${b}}}`).join("");
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${group}) (rate(${histogram}_bucket[${RATE}])))`,
    legend: `p${Math.round(q * 100)}${suffix}`,
  }));
}

export function dashboardPanels(m: Manifest): Panel[] {
  const o = orchestratorMetrics(m);
  const http = m.orchestrator.ingress === "http";
  const front = metric(o, http ? "http_server_request_duration_seconds" : "messaging_process_duration_seconds");
  const client = metric(o, "rpc_client_call_duration_seconds");
  const server = metric(WORKER_METRICS, "rpc_server_call_duration_seconds");
  const pool = metric(WORKER_METRICS, "scoring_pool_queue_duration_seconds");
  const batch = metric(WORKER_METRICS, "scoring_batch_items");
  const shed = metric(WORKER_METRICS, "scoring_shed_calls_total");
  const inFlight = metric(WORKER_METRICS, "scoring_in_flight_calls");
  const retries = metric(o, "orchestrator_worker_retries_total");
  const coalesced = metric(o, "orchestrator_coalesced_batch_size");
  const [rss] = PROCESS_METRICS;
  return [
    { title: http ? "Front door: HTTP request latency" : "Front door: message handling latency", unit: "s", targets: quantiles(front), description: `${front}: the orchestrator's whole handling of one ${http ? "request" : "message or record batch"}.` },
    { title: "Orchestrator → worker: call latency", unit: "s", targets: quantiles(client, ["worker"]), description: `${client}: each call to a worker from the orchestrator, retries included.` },
    { title: "Worker: server call latency", unit: "s", targets: quantiles(server, ["job"]), description: `${server}: decode to response inside the worker.` },
    { title: "Worker: CPU pool queue wait", unit: "s", targets: quantiles(pool), description: `${pool}: time a call waits for the scoring pool.` },
    {
      title: http ? "Throughput by status" : "Throughput by outcome",
      unit: "reqps",
      targets: [{ expr: `sum by (${http ? "http_response_status_code" : "outcome"}) (rate(${front}_count[${RATE}]))`, legend: `{{${http ? "http_response_status_code" : "outcome"}}}` }],
      description: `${front}_count per second.`,
    },
    {
      title: "Shed and retried calls",
      unit: "reqps",
      targets: [
        { expr: `sum by (rpc_method) (rate(${shed}[${RATE}]))`, legend: "shed {{rpc_method}}" },
        { expr: `sum by (worker) (rate(${retries}[${RATE}]))`, legend: "retried to {{worker}}" },
      ],
      description: `${shed}: calls answered RESOURCE_EXHAUSTED; ${retries}: calls the orchestrator tried again.`,
    },
    { title: "Batch sizes", unit: "none", targets: quantiles(batch), description: `${batch}: items per ScoreBatch call.` },
    { title: "Coalesced requests per worker call", unit: "none", targets: quantiles(coalesced, ["worker"]), description: `${coalesced}: single requests that shared one call (1: sent alone, the worker idle).` },
    { title: "In-flight scoring calls", unit: "none", targets: [{ expr: `sum by (job) (${inFlight})`, legend: "{{job}}" }], description: `${inFlight}: calls queued or running per worker.` },
    { title: "Memory (RSS)", unit: "bytes", targets: [{ expr: `sum by (job) (${rss})`, legend: "{{job}}" }], description: `${rss} of every service.` },
    ...queueLag(m, o),
    ...canaries(m, o),
    ...acknowledgements(m, o),
  ];
}

/** The SQS consumer's deletes and visibility changes that failed: stored results to be redelivered, messages that may reappear. */
function acknowledgements(m: Manifest, o: MetricDoc[]): Panel[] {
  if (m.orchestrator.ingress !== "sqs") return [];
  const failed = metric(o, "orchestrator_acknowledge_failures_total");
  return [
    {
      title: "SQS acknowledgement failures by call",
      unit: "reqps",
      targets: [{ expr: `sum by (call) (rate(${failed}[${RATE}]))`, legend: "{{call}}" }],
      description: `${failed}: messages a DeleteMessageBatch left undeleted (redelivered) or a ChangeMessageVisibilityBatch failed for (may reappear); /readyz fails naming the call once it keeps failing.`,
    },
  ];
}

/** The queue presets' isolation canaries: Score calls no message asked for, and whether the worker failed them. */
function canaries(m: Manifest, o: MetricDoc[]): Panel[] {
  if (m.orchestrator.ingress === "http") return [];
  const sent = metric(o, "orchestrator_canaries_total");
  return [
    {
      title: "Isolation canaries by outcome",
      unit: "reqps",
      targets: [{ expr: `sum by (outcome) (rate(${sent}[${RATE}]))`, legend: "{{outcome}}" }],
      description: `${sent}: canaries sent because requests failed alone with nothing else scored; failed ones put the worker, not the requests, under suspicion.`,
    },
  ];
}

/** How far consuming is behind: SQS messages' age at receive, or each Kinesis shard's distance from the tip. */
function queueLag(m: Manifest, o: MetricDoc[]): Panel[] {
  if (m.orchestrator.ingress === "sqs") {
    const age = metric(o, "orchestrator_message_age_seconds");
    return [{ title: "Queue lag: message age at receive", unit: "s", targets: quantiles(age), description: `${age}: now − SentTimestamp of each message received.` }];
  }
  if (m.orchestrator.ingress === "kinesis") {
    const behind = metric(o, "orchestrator_shard_millis_behind_latest");
    return [{ title: "Stream lag: behind the tip per shard", unit: "ms", targets: [{ expr: `max by (shard_id) (${behind})`, legend: "{{shard_id}}" }], description: `${behind}: how far each shard's reader is behind.` }];
  }
  return [];
}

/** The dashboard JSON (Grafana's schema 39), two panels a row. */
export function dashboardJson(m: Manifest): string {
  const panels = dashboardPanels(m).map((p, i) => ({
    id: i + 1,
    type: "timeseries",
    title: p.title,
    description: p.description,
    datasource: DS,
    gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
    targets: p.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), datasource: DS, expr: t.expr, legendFormat: t.legend })),
  }));
  const dashboard = {
    title: `${m.name}: Go orchestrator → Rust workers`,
    uid: `${m.name}-hybrid`.slice(0, 40),
    tags: ["create-hybrid-backend", m.name],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: "now-1h", to: "now" },
    refresh: "10s",
    templating: {
      list: [{ name: "DS_PROMETHEUS", label: "Prometheus", type: "datasource", query: "prometheus", hide: 0, current: {} }],
    },
    annotations: { list: [] },
    panels,
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
