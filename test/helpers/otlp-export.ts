import * as grpc from "@grpc/grpc-js";
import { exportMethod, traceServiceDefinition, TRACE_SERVICE } from "../../src/validate/otlp/protos.js";
import type { SpanRecord } from "../../src/validate/otlp/spans.js";

/** A synthetic span as a test writes it: ids in hex, the service on the resource. */
export type TestSpan = Pick<SpanRecord, "traceId" | "spanId" | "name" | "kind" | "service"> &
  Partial<Pick<SpanRecord, "parentSpanId" | "attributes" | "links">>;

/** An ExportTraceServiceRequest (proto-loader input shape) holding spans, one resource per service. */
export function exportRequest(spans: TestSpan[]): object {
  const services = [...new Set(spans.map((s) => s.service))];
  const anyValue = (v: unknown) =>
    typeof v === "string" ? { stringValue: v } : typeof v === "boolean" ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return {
    resourceSpans: services.map((service) => ({
      resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: "test" },
          spans: spans
            .filter((s) => s.service === service)
            .map((s, i) => ({
              traceId: Buffer.from(s.traceId, "hex"),
              spanId: Buffer.from(s.spanId, "hex"),
              parentSpanId: Buffer.from(s.parentSpanId ?? "", "hex"),
              name: s.name,
              kind: `SPAN_KIND_${s.kind}`,
              startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)),
              endTimeUnixNano: String(1_700_000_000_000_000_100n + BigInt(i)),
              attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({ key, value: anyValue(v) })),
              links: (s.links ?? []).map((l) => ({ traceId: Buffer.from(l.traceId, "hex"), spanId: Buffer.from(l.spanId, "hex") })),
            })),
        },
      ],
    })),
  };
}

/** The request's protobuf bytes, as an OTLP/HTTP exporter posts them. */
export function encodeExport(req: object): Buffer {
  return exportMethod().requestSerialize(req);
}

/** Export over OTLP/gRPC, as the services' gRPC exporters do. */
export function exportGrpc(addr: string, req: object): Promise<void> {
  const pkg = grpc.loadPackageDefinition(traceServiceDefinition());
  const Svc = TRACE_SERVICE.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], pkg) as grpc.ServiceClientConstructor;
  const client = new Svc(addr, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Export(req: object, opts: grpc.CallOptions, cb: (e: Error | null) => void): void;
  };
  return new Promise((resolve, reject) =>
    client.Export(req, { deadline: Date.now() + 5000 }, (err) => {
      client.close();
      if (err) reject(err);
      else resolve();
    }),
  );
}
