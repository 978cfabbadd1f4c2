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
