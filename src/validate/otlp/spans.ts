/** One received span, flattened from OTLP's resource → scope → span nesting. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  /** SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL or UNSPECIFIED. */
  kind: string;
  /** The resource's service.name ("" when the exporter sent none). */
  service: string;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttrValue>;
  /** Contexts this span links to (a consumer's link to its producer, say). */
  links: { traceId: string; spanId: string }[];
}

export type AttrValue = string | number | boolean | AttrValue[] | null;

// The decoded OTLP shapes (proto-loader output: bytes as Buffer, longs as strings, enums as names).
interface AnyValue {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  bytesValue?: Buffer;
  kvlistValue?: { values?: KeyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface Span {
  traceId: Buffer;
  spanId: Buffer;
  parentSpanId: Buffer;
  name: string;
  kind: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: KeyValue[];
  links?: { traceId: Buffer; spanId: Buffer }[];
}
export interface ExportRequest {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: Span[] }[] }[];
}

function attrValue(v: AnyValue | undefined): AttrValue {
  if (!v) return null;
  switch (v.value) {
    case "stringValue":
      return v.stringValue ?? "";
    case "boolValue":
      return v.boolValue ?? false;
    case "intValue":
      return Number(v.intValue);
    case "doubleValue":
      return v.doubleValue ?? 0;
    case "arrayValue":
      return (v.arrayValue?.values ?? []).map(attrValue);
    case "bytesValue":
      return v.bytesValue?.toString("hex") ?? "";
    case "kvlistValue":
      return JSON.stringify(attributes(v.kvlistValue?.values));
    default:
      return null;
  }
}

function attributes(kvs: KeyValue[] | undefined): Record<string, AttrValue> {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, attrValue(kv.value)]));
}

const hex = (b: Buffer | undefined) => (b ? Buffer.from(b).toString("hex") : "");

/** Every span of one decoded ExportTraceServiceRequest. */
export function flattenExport(req: ExportRequest): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const service = attributes(rs.resource?.attributes)["service.name"];
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: String(s.kind).replace(/^SPAN_KIND_/, ""),
          service: typeof service === "string" ? service : "",
          startNs: BigInt(s.startTimeUnixNano || 0),
          endNs: BigInt(s.endTimeUnixNano || 0),
          attributes: attributes(s.attributes),
          links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
        });
      }
    }
  }
  return out;
}
