import type { Manifest } from "../manifest.js";
import { otelServiceName, PRODUCER_COMPONENT, type OtlpProtocol } from "../render/otel-env.js";
import { orchestratorMetrics, rpcSpanName, WORKER_METRICS, WORKER_PHASE_SPANS } from "../render/telemetry.js";
import { checkCounts, type CountExpectation } from "./metrics-check.js";
import { startOtlpReceiver, type OtlpReceiver } from "./otlp/receiver.js";
import { freePort } from "./ports.js";
import { checkHttpTrace, checkQueueTrace, checkStreamTrace, type TraceNames, type TraceOk } from "./trace-check.js";

/**
 * Whether the smoke proves the services' telemetry (issue 13). Off until the
 * orchestrator and worker templates export traces and serve /metrics; then
 * this one switch turns on the receiver, the OTEL_* settings and the checks.
 */
export const SMOKE_CHECKS_TELEMETRY = true;

/** How long the smoke waits for the spans of its requests to arrive (the exporters batch every BSP_DELAY_MS). */
const SPANS_TIMEOUT_MS = 15_000;
const BSP_DELAY_MS = 100;
const POLL_MS = 100;

export type { OtlpProtocol };

/** The smoke's side of telemetry: the receiver the services export to, and what each service is told. */
export interface SmokeTelemetry {
  receiver: OtlpReceiver;
  /** OTEL_* settings for one component (orchestrator, produce, a worker's name), exporting over protocol. */
  env(component: string, protocol: OtlpProtocol): Record<string, string>;
  /** Each worker's METRICS_ADDR, by name. */
  metricsAddr: Record<string, string>;
  close(): Promise<void>;
}

/** The receiver and a metrics port per worker, or undefined while SMOKE_CHECKS_TELEMETRY is off. */
export async function startSmokeTelemetry(m: Manifest, enabled = SMOKE_CHECKS_TELEMETRY): Promise<SmokeTelemetry | undefined> {
  if (!enabled) return undefined;
  const receiver = await startOtlpReceiver();
  const metricsAddr: Record<string, string> = {};
  for (const w of m.workers) metricsAddr[w.name] = `127.0.0.1:${await freePort()}`;
  return {
    receiver,
    metricsAddr,
    env: (component, protocol) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${protocol === "grpc" ? receiver.grpcAddr : receiver.httpAddr}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: otelServiceName(m, component),
      OTEL_TRACES_SAMPLER: "always_on",
      OTEL_BSP_SCHEDULE_DELAY: String(BSP_DELAY_MS),
      ...(metricsAddr[component] ? { METRICS_ADDR: metricsAddr[component] } : {}),
    }),
    close: () => receiver.close(),
  };
}

/**
 * Which protocol each component exports with: the orchestrator (and
 * cmd/produce) over gRPC, the workers over HTTP/protobuf, so every smoke
 * proves both of the exporters' protocols end to end.
 */
export function protocolFor(component: string, m: Manifest): OtlpProtocol {
  return m.workers.some((w) => w.name === component) ? "http/protobuf" : "grpc";
}

export function traceNames(m: Manifest): TraceNames {
  return {
    orchestrator: otelServiceName(m, "orchestrator"),
    workers: m.workers.map((w) => otelServiceName(m, w.name)),
    rpcNames: [rpcSpanName(m, "Score"), rpcSpanName(m, "ScoreBatch")],
    phase: WORKER_PHASE_SPANS.find((p) => p === "score")!,
  };
}

/** Waits (bounded) until the received spans hold the chain one request must leave; throws the last miss. */
export async function awaitTrace(m: Manifest, t: SmokeTelemetry): Promise<TraceOk> {
  const names = traceNames(m);
  const checks = {
    http: () => checkHttpTrace(t.receiver.spans(), names),
    sqs: () => checkQueueTrace(t.receiver.spans(), { ...names, producer: otelServiceName(m, PRODUCER_COMPONENT) }),
    kinesis: () => checkStreamTrace(t.receiver.spans(), names),
  };
  const check = checks[m.orchestrator.ingress];
  const deadline = Date.now() + SPANS_TIMEOUT_MS;
  for (;;) {
    try {
      return check();
    } catch (e) {
      if (Date.now() >= deadline) {
        const refused = t.receiver.errors();
        const extra = refused.length ? `\nexports the receiver refused:\n  ${refused.slice(0, 5).join("\n  ")}` : "";
        throw new Error(`${(e as Error).message}${extra}\n(waited ${SPANS_TIMEOUT_MS / 1000} s for the exporters)`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/** How many observations the smoke's traffic must have left: the orchestrator's by histogram, each worker's server calls. */
export interface SmokeTraffic {
  /** Requests or messages the orchestrator handled (its front-door histogram). */
  handled: number;
  /** Calls the orchestrator made to workers. */
  workerCalls: number;
  /** Calls each worker served, by name (a worker absent here is not checked). */
  served: Record<string, number>;
}

/** The count expectations for one smoke's traffic, every name from telemetry.ts. */
export function countExpectations(m: Manifest, traffic: SmokeTraffic): CountExpectation[] {
  // The table's first row is the front door's histogram (HTTP requests, or messages handled).
  const rows = orchestratorMetrics(m);
  const front = rows[0];
  const client = rows.find((x) => x.name === "rpc_client_call_duration_seconds");
  const server = WORKER_METRICS.find((x) => x.name === "rpc_server_call_duration_seconds")!;
  return [
    { source: "orchestrator", histogram: front!.name, atLeast: traffic.handled },
    { source: "orchestrator", histogram: client!.name, atLeast: traffic.workerCalls },
    ...Object.entries(traffic.served).map(([name, n]) => ({ source: `worker ${name}`, histogram: server.name, atLeast: n })),
  ];
}

/** Scrapes the orchestrator's and each worker's /metrics and checks the counts; throws every shortfall at once. */
export async function checkSmokeMetrics(m: Manifest, t: SmokeTelemetry, orchestratorAddr: string, traffic: SmokeTraffic): Promise<string> {
  const scrapes: Record<string, string> = {};
  const scrape = async (source: string, addr: string) => {
    try {
      const res = await fetch(`http://${addr}/metrics`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) scrapes[source] = await res.text();
    } catch {
      // Reported below as "no scrape from ...".
    }
  };
  await scrape("orchestrator", orchestratorAddr);
  for (const name of Object.keys(traffic.served)) await scrape(`worker ${name}`, t.metricsAddr[name]!);
  const expectations = countExpectations(m, traffic);
  const problems = checkCounts(scrapes, expectations);
  if (problems.length) throw new Error(problems.join("\n"));
  return `metrics: ${expectations.length} histograms counted the smoke's traffic`;
}
