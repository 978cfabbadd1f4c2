import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startOtlpReceiver, type OtlpReceiver } from "../../src/validate/otlp/receiver.js";
import { encodeExport, exportGrpc, exportRequest, type TestSpan } from "../helpers/otlp-export.js";

let rx: OtlpReceiver;
beforeAll(async () => {
  rx = await startOtlpReceiver();
});
afterAll(() => rx.close());

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const server: TestSpan = { traceId: TRACE, spanId: "b7ad6b7169203331", name: "POST /v1/score", kind: "SERVER", service: "orchestrator", attributes: { "http.response.status_code": 200, "http.route": "/v1/score", ok: true, ratio: 0.5 } };
const client: TestSpan = { traceId: TRACE, spanId: "00f067aa0ba902b7", parentSpanId: "b7ad6b7169203331", name: "scoring.v1.ScoringService/Score", kind: "CLIENT", service: "orchestrator" };
const worker: TestSpan = { traceId: TRACE, spanId: "1111111111111111", parentSpanId: "00f067aa0ba902b7", name: "scoring.v1.ScoringService/Score", kind: "SERVER", service: "scorer", links: [{ traceId: TRACE, spanId: "b7ad6b7169203331" }] };

it("decodes spans exported over OTLP/gRPC into flat records", async () => {
  const before = rx.spans().length;
  await exportGrpc(rx.grpcAddr, exportRequest([server, client, worker]));
  const got = rx.spans().slice(before);
  expect(got.map((s) => [s.name, s.kind, s.service])).toEqual([
    ["POST /v1/score", "SERVER", "orchestrator"],
    ["scoring.v1.ScoringService/Score", "CLIENT", "orchestrator"],
    ["scoring.v1.ScoringService/Score", "SERVER", "scorer"],
  ]);
  expect(got[0]).toMatchObject({ traceId: TRACE, spanId: "b7ad6b7169203331", parentSpanId: "", attributes: { "http.response.status_code": 200, "http.route": "/v1/score", ok: true, ratio: 0.5 } });
  expect(got[0]!.endNs - got[0]!.startNs).toBe(100n);
  expect(got[1]!.parentSpanId).toBe("b7ad6b7169203331");
  expect(got[2]!.links).toEqual([{ traceId: TRACE, spanId: "b7ad6b7169203331" }]);
});

it("decodes spans posted over OTLP/HTTP protobuf, plain and gzipped", async () => {
  const before = rx.spans().length;
  const body = new Uint8Array(encodeExport(exportRequest([server])));
  const plain = await fetch(`http://${rx.httpAddr}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body });
  expect(plain.status).toBe(200);
  expect(plain.headers.get("content-type")).toBe("application/x-protobuf");
  const gz = await fetch(`http://${rx.httpAddr}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf", "content-encoding": "gzip" }, body: new Uint8Array(gzipSync(encodeExport(exportRequest([client])))) });
  expect(gz.status).toBe(200);
  expect(rx.spans().slice(before).map((s) => `${s.kind} ${s.parentSpanId || "-"}`)).toEqual(["SERVER -", "CLIENT b7ad6b7169203331"]);
});

it("refuses what it cannot read, and says so", async () => {
  const json = await fetch(`http://${rx.httpAddr}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  expect(json.status).toBe(415);
  const junk = await fetch(`http://${rx.httpAddr}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: Buffer.from([0x0a, 0xff, 0xff]) });
  expect(junk.status).toBe(400);
  const wrongPath = await fetch(`http://${rx.httpAddr}/v1/metrics`, { method: "POST", body: "" });
  expect(wrongPath.status).toBe(404);
  expect(rx.errors().join("\n")).toMatch(/application\/json[\s\S]*POST \/v1\/traces: [\s\S]*\/v1\/metrics/);
});

// Protobuf wire format by hand, so the request carries fields the receiver's proto leaves out.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  return Buffer.from([...out, n]);
};
const field = (no: number, body: Buffer | string) => {
  const b = typeof body === "string" ? Buffer.from(body) : body;
  return Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
};
const fixed64 = (no: number, v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return Buffer.concat([varint((no << 3) | 1), b]);
};
const fixed32 = (no: number, v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return Buffer.concat([varint((no << 3) | 5), b]);
};

it("reads spans from a full OTLP message, skipping the fields it does not declare", async () => {
  const span = Buffer.concat([
    field(1, Buffer.from(TRACE, "hex")),
    field(2, Buffer.from("b7ad6b7169203331", "hex")),
    field(3, "vendor=1"), // trace_state
    field(5, "POST /v1/score"),
    Buffer.concat([varint((6 << 3) | 0), varint(2)]), // kind SERVER
    fixed64(7, 1_700_000_000_000_000_000n),
    fixed64(8, 1_700_000_000_000_000_500n),
    field(11, field(2, "exception")), // an event
    field(15, Buffer.concat([varint((3 << 3) | 0), varint(1)])), // status OK
    fixed32(16, 0x301), // flags
  ]);
  const resource = field(1, field(1, Buffer.concat([field(1, "service.name"), field(2, field(1, "svc"))])));
  const scope = field(1, Buffer.concat([field(1, "go.opentelemetry.io/otel"), field(2, "1.0")]));
  const body = field(1, Buffer.concat([resource, field(2, Buffer.concat([scope, field(2, span)])), field(3, "https://opentelemetry.io/schemas/1.37.0")]));
  const before = rx.spans().length;
  const res = await fetch(`http://${rx.httpAddr}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array(body) });
  expect(res.status).toBe(200);
  expect(rx.spans().slice(before)).toEqual([
    { traceId: TRACE, spanId: "b7ad6b7169203331", parentSpanId: "", name: "POST /v1/score", kind: "SERVER", service: "svc", startNs: 1_700_000_000_000_000_000n, endNs: 1_700_000_000_000_000_500n, attributes: {}, links: [] },
  ]);
});
