import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { rpcSpanName, WORKER_PHASE_SPANS } from "../../src/render/telemetry.js";
import type { SpanRecord } from "../../src/validate/otlp/spans.js";
import { checkHttpTrace, checkQueueTrace, checkStreamTrace, traceTree } from "../../src/validate/trace-check.js";

const m = parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator" } });
const SCORE = rpcSpanName(m, "Score");
const names = { orchestrator: "risk-api-orchestrator", workers: ["risk-api-scorer", "risk-api-pricing"], rpcNames: [SCORE, rpcSpanName(m, "ScoreBatch")], phase: "score" as string };

let next = 1;
function span(service: string, kind: string, name: string, parent?: SpanRecord, extra: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: parent?.traceId ?? "a".repeat(32),
    spanId: (next++).toString(16).padStart(16, "0"),
    parentSpanId: parent?.spanId ?? "",
    name,
    kind,
    service,
    startNs: 0n,
    endNs: 1n,
    attributes: {},
    links: [],
    ...extra,
  };
}

/** One HTTP request's spans as the two services would export them. */
function httpRequest(trace = "b".repeat(32)) {
  const server = span(names.orchestrator, "SERVER", "POST /v1/score", undefined, { traceId: trace });
  const client = span(names.orchestrator, "CLIENT", SCORE, server);
  const worker = span("risk-api-scorer", "SERVER", SCORE, client);
  const phases = WORKER_PHASE_SPANS.map((p) => span("risk-api-scorer", "INTERNAL", p, worker));
  return { server, client, worker, phases, all: [server, client, worker, ...phases] };
}

describe("HTTP trace", () => {
  it("finds front door → client → worker server → score in one trace", () => {
    const noise = span(names.orchestrator, "SERVER", "GET /readyz", undefined, { traceId: "c".repeat(32) });
    const r = httpRequest();
    const ok = checkHttpTrace([noise, ...r.all], names);
    expect(ok.chain).toEqual([r.server, r.client, r.worker, r.phases[3]]);
    expect(ok.summary).toBe("trace: 7 spans across 2 services (risk-api-orchestrator, risk-api-scorer)");
  });

  it("accepts the client call below an internal span of the orchestrator", () => {
    const r = httpRequest();
    const mid = span(names.orchestrator, "INTERNAL", "handle", r.server);
    r.client.parentSpanId = mid.spanId;
    expect(checkHttpTrace([...r.all, mid], names).chain[1]).toBe(r.client);
  });

  it("names the missing score span and lists what arrived", () => {
    const r = httpRequest();
    expect(() => checkHttpTrace([r.server, r.client, r.worker], names)).toThrow(
      /^trace check: missing its "score" child span; found before it: .*HTTP SERVER span .*→ .*CLIENT span.*→ a worker's .*SERVER span.*\. Received 3 spans:\n  risk-api-orchestrator SERVER "POST \/v1\/score" trace=bbbbbbbb span=\w+ parent=-\n/,
    );
  });

  it("fails when the worker's span is not the client span's child (context not propagated)", () => {
    const r = httpRequest();
    r.worker.parentSpanId = "";
    r.worker.traceId = "d".repeat(32);
    for (const p of r.phases) p.traceId = r.worker.traceId;
    expect(() => checkHttpTrace(r.all, names)).toThrow(/missing a worker's \(risk-api-scorer, risk-api-pricing\) SERVER span of the same name whose parent is that CLIENT span/);
  });

  it("fails when the worker calls are not traced, and when nothing arrived", () => {
    const r = httpRequest();
    expect(() => checkHttpTrace([r.server], names)).toThrow(/missing a CLIENT span named scoring\.v1\.ScoringService\/Score or scoring\.v1\.ScoringService\/ScoreBatch under it/);
    expect(() => checkHttpTrace([], names)).toThrow(/missing the orchestrator's \(risk-api-orchestrator\) HTTP SERVER span; no spans were received/);
  });

  it("ignores spans of another service with the right shape", () => {
    const r = httpRequest();
    r.worker.service = "someone-else";
    expect(() => checkHttpTrace(r.all, names)).toThrow(/SERVER span of the same name/);
  });
});

describe("queue trace", () => {
  const qnames = { ...names, producer: "risk-api-produce" };
  function message(linked: boolean) {
    const producer = span(qnames.producer, "PRODUCER", "risk-api-requests send", undefined, { traceId: "e".repeat(32) });
    const consumer = linked
      ? span(names.orchestrator, "CONSUMER", "risk-api-requests process", undefined, { traceId: "f".repeat(32), links: [{ traceId: producer.traceId, spanId: producer.spanId }] })
      : span(names.orchestrator, "CONSUMER", "risk-api-requests process", producer);
    const client = span(names.orchestrator, "CLIENT", rpcSpanName(m, "ScoreBatch"), consumer);
    const worker = span("risk-api-scorer", "SERVER", client.name, client);
    const score = span("risk-api-scorer", "INTERNAL", "score", worker);
    return { producer, consumer, client, worker, score, all: [producer, consumer, client, worker, score] };
  }

  it("follows producer → consumer (child) → client → worker → score in one trace", () => {
    const q = message(false);
    const ok = checkQueueTrace(q.all, qnames);
    expect(ok.chain).toEqual([q.producer, q.consumer, q.client, q.worker, q.score]);
    expect(ok.summary).toBe("trace: 5 spans across 3 services (risk-api-produce, risk-api-orchestrator, risk-api-scorer)");
  });

  it("accepts a consumer span in its own trace that links to the producer's", () => {
    const ok = checkQueueTrace(message(true).all, qnames);
    expect(ok.summary).toBe("trace: 5 spans across 3 services in 2 linked traces (risk-api-produce, risk-api-orchestrator, risk-api-scorer)");
  });

  it("fails when the consumer neither continues nor links the producer's context", () => {
    const q = message(true);
    q.consumer.links = [];
    expect(() => checkQueueTrace(q.all, qnames)).toThrow(/missing the orchestrator's \(risk-api-orchestrator\) CONSUMER span, child of or linked to the PRODUCER span; found before it: the producer's \(risk-api-produce\) PRODUCER span/);
  });

  it("fails without the producer's span", () => {
    const q = message(false);
    expect(() => checkQueueTrace(q.all.slice(1), qnames)).toThrow(/missing the producer's \(risk-api-produce\) PRODUCER span\. Received 4 spans/);
  });
});

describe("Kinesis trace", () => {
  it("starts at the consumer span of a record batch (records carry no trace context)", () => {
    const consumer = span(names.orchestrator, "CONSUMER", "process risk-api-requests", undefined, { traceId: "d".repeat(32) });
    const client = span(names.orchestrator, "CLIENT", SCORE, consumer);
    const worker = span("risk-api-scorer", "SERVER", SCORE, client);
    const score = span("risk-api-scorer", "INTERNAL", "score", worker);
    expect(checkStreamTrace([consumer, client, worker, score], names).chain).toEqual([consumer, client, worker, score]);
    expect(() => checkStreamTrace([client, worker, score], names)).toThrow(/missing the orchestrator's .* CONSUMER span/);
  });
});

describe("trace tree", () => {
  it("prints the proven trace as an indented tree with durations and ids, and leaves other traces out", () => {
    const r = httpRequest("e".repeat(32));
    const other = span(names.orchestrator, "SERVER", "GET /other", undefined, { traceId: "f".repeat(32) });
    r.worker.endNs = 2_500_000n;
    const text = traceTree([...r.all, other], checkHttpTrace(r.all, names));
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^risk-api-orchestrator SERVER "POST \/v1\/score" 0\.000 ms span=\w+ parent=-$/);
    expect(lines[2]).toBe(`    risk-api-scorer SERVER "${SCORE}" 2.500 ms span=${r.worker.spanId} parent=${r.client.spanId}`);
    expect(lines.slice(3).every((l) => l.startsWith("      risk-api-scorer INTERNAL"))).toBe(true);
    expect(text).not.toContain("GET /other");
  });
});
