import type { SpanRecord } from "./otlp/spans.js";

/**
 * What one smoke request must leave in the traces: a chain of spans, each
 * found from the one before. Pure, so the unit tests drive it with synthetic
 * spans and the smoke with what its OTLP receiver got.
 */

/** One hop of the chain: what it is called in messages and how to find it from the previous span. */
interface Hop {
  label: string;
  find(prev: SpanRecord | undefined, all: SpanRecord[]): SpanRecord[];
}

export interface TraceNames {
  /** OTEL_SERVICE_NAME of the orchestrator and of each worker. */
  orchestrator: string;
  workers: string[];
  /** The gRPC span names a worker call may carry (rpcSpanName: Score, and ScoreBatch where the orchestrator batches). */
  rpcNames: string[];
  /** The worker phase span that must hang under its server span (WORKER_PHASE_SPANS' scoring one). */
  phase: string;
}

export interface TraceOk {
  /** One line for the step's result, e.g. "trace: 4 spans across 2 services". */
  summary: string;
  /** The spans of the proven chain, first hop first. */
  chain: SpanRecord[];
}

/** The HTTP preset: front door → client call → worker server → its phase span. */
export function checkHttpTrace(spans: SpanRecord[], names: TraceNames): TraceOk {
  const front: Hop = {
    label: `the orchestrator's (${names.orchestrator}) HTTP SERVER span`,
    find: (_, all) => all.filter((s) => s.service === names.orchestrator && s.kind === "SERVER"),
  };
  return checkChain(spans, [front, ...workerHops(names)]);
}

/**
 * The queue presets: cmd/produce's PRODUCER span → the orchestrator's CONSUMER
 * span (its child in the same trace, or a new trace linking to it, as the
 * messaging conventions allow for batches) → client → worker server → phase.
 */
export function checkQueueTrace(spans: SpanRecord[], names: TraceNames & { producer: string }): TraceOk {
  const producer: Hop = {
    label: `the producer's (${names.producer}) PRODUCER span`,
    find: (_, all) => all.filter((s) => s.service === names.producer && s.kind === "PRODUCER"),
  };
  const consumer: Hop = {
    label: `the orchestrator's (${names.orchestrator}) CONSUMER span, child of or linked to the PRODUCER span`,
    find: (p, all) =>
      all.filter(
        (s) =>
          s.service === names.orchestrator &&
          s.kind === "CONSUMER" &&
          ((s.traceId === p!.traceId && s.parentSpanId === p!.spanId) || s.links.some((l) => l.traceId === p!.traceId && l.spanId === p!.spanId)),
      ),
  };
  return checkChain(spans, [producer, consumer, ...workerHops(names)]);
}

/**
 * Kinesis: records carry no attributes, so each record batch starts its own
 * trace at the orchestrator's CONSUMER span → client → worker server → phase.
 */
export function checkStreamTrace(spans: SpanRecord[], names: TraceNames): TraceOk {
  const consumer: Hop = {
    label: `the orchestrator's (${names.orchestrator}) CONSUMER span`,
    find: (_, all) => all.filter((s) => s.service === names.orchestrator && s.kind === "CONSUMER"),
  };
  return checkChain(spans, [consumer, ...workerHops(names)]);
}

/** From an orchestrator span down: its CLIENT call (any depth below, same process), the worker's SERVER span under that call, its phase span. */
function workerHops(names: TraceNames): Hop[] {
  return [
    {
      label: `a CLIENT span named ${names.rpcNames.join(" or ")} under it`,
      find: (p, all) => descendants(p!, all).filter((s) => s.service === names.orchestrator && s.kind === "CLIENT" && names.rpcNames.includes(s.name)),
    },
    {
      label: `a worker's (${names.workers.join(", ")}) SERVER span of the same name whose parent is that CLIENT span`,
      find: (p, all) =>
        all.filter((s) => s.traceId === p!.traceId && s.parentSpanId === p!.spanId && s.kind === "SERVER" && s.name === p!.name && names.workers.includes(s.service)),
    },
    {
      label: `its "${names.phase}" child span`,
      find: (p, all) => all.filter((s) => s.traceId === p!.traceId && s.parentSpanId === p!.spanId && s.service === p!.service && s.name === names.phase),
    },
  ];
}

/** Spans below `root` in its trace, following parent ids. */
function descendants(root: SpanRecord, all: SpanRecord[]): SpanRecord[] {
  const inTrace = all.filter((s) => s.traceId === root.traceId);
  const out: SpanRecord[] = [];
  let frontier = [root.spanId];
  while (frontier.length) {
    const next = inTrace.filter((s) => frontier.includes(s.parentSpanId) && !out.includes(s));
    out.push(...next);
    frontier = next.map((s) => s.spanId);
  }
  return out;
}

/** The first complete chain, depth first; otherwise an error naming the hop the longest partial chain stopped at. */
function checkChain(spans: SpanRecord[], hops: Hop[]): TraceOk {
  let best: SpanRecord[] = [];
  const walk = (chain: SpanRecord[]): SpanRecord[] | undefined => {
    if (chain.length > best.length) best = chain;
    if (chain.length === hops.length) return chain;
    for (const next of hops[chain.length]!.find(chain.at(-1), spans)) {
      const done = walk([...chain, next]);
      if (done) return done;
    }
    return undefined;
  };
  const chain = walk([]);
  if (!chain) throw new Error(missingMessage(spans, hops, best));
  const traceIds = new Set(chain.map((s) => s.traceId));
  const involved = spans.filter((s) => traceIds.has(s.traceId));
  const services = [...new Set(involved.map((s) => s.service))];
  const linked = traceIds.size > 1 ? ` in ${traceIds.size} linked traces` : "";
  return { summary: `trace: ${involved.length} spans across ${services.length} services${linked} (${services.join(", ")})`, chain };
}

const MAX_LISTED = 40;

function missingMessage(spans: SpanRecord[], hops: Hop[], found: SpanRecord[]): string {
  const have = found.length ? `; found before it: ${found.map((s, i) => `${hops[i]!.label} (${describe(s)})`).join(" → ")}` : "";
  const head = `trace check: missing ${hops[found.length]!.label}${have}`;
  if (!spans.length) return `${head}; no spans were received`;
  const listed = spans.slice(0, MAX_LISTED).map((s) => `  ${describe(s)}`);
  const more = spans.length > MAX_LISTED ? [`  … and ${spans.length - MAX_LISTED} more`] : [];
  return [`${head}. Received ${spans.length} spans:`, ...listed, ...more].join("\n");
}

function describe(s: SpanRecord): string {
  const links = s.links.length ? ` links=${s.links.map((l) => `${l.traceId.slice(0, 8)}/${l.spanId}`).join(",")}` : "";
  return `${s.service || "(no service.name)"} ${s.kind} "${s.name}" trace=${s.traceId.slice(0, 8)} span=${s.spanId} parent=${s.parentSpanId || "-"}${links}`;
}

/**
 * The traces of a proven chain as an indented tree, one span a line with its
 * service, kind, name, duration and ids: what `validate` leaves in its logs
 * (smoke-trace.log) so a reader sees where the request's time went.
 */
export function traceTree(spans: SpanRecord[], ok: TraceOk): string {
  const traceIds = new Set(ok.chain.map((s) => s.traceId));
  const inTraces = spans.filter((s) => traceIds.has(s.traceId));
  const ids = new Set(inTraces.map((s) => s.spanId));
  const lines: string[] = [];
  const visit = (s: SpanRecord, depth: number) => {
    const ms = Number(s.endNs - s.startNs) / 1e6;
    lines.push(`${"  ".repeat(depth)}${s.service} ${s.kind} "${s.name}" ${ms.toFixed(3)} ms span=${s.spanId} parent=${s.parentSpanId || "-"}`);
    for (const child of inTraces.filter((c) => c.parentSpanId === s.spanId).sort((a, b) => Number(a.startNs - b.startNs))) visit(child, depth + 1);
  };
  for (const root of inTraces.filter((s) => !ids.has(s.parentSpanId)).sort((a, b) => Number(a.startNs - b.startNs))) visit(root, 0);
  return `${lines.join("\n")}\n`;
}
