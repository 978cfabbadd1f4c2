import { createServer, type Server } from "node:http";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { rpcSpanName } from "../../src/render/telemetry.js";
import { freePort } from "../../src/validate/ports.js";
import { awaitTrace, checkSmokeMetrics, protocolFor, SMOKE_CHECKS_TELEMETRY, startSmokeTelemetry, traceNames } from "../../src/validate/telemetry-smoke.js";
import { encodeExport, exportGrpc, exportRequest, type TestSpan } from "../helpers/otlp-export.js";

const m = parseManifest({
  name: "risk-api",
  orchestrator: { module: "github.com/acme/risk-api/orchestrator" },
  workers: [{ name: "scorer" }, { name: "pricing" }],
});

/** Sends spans the way a service told `env` would: to its endpoint, over its protocol. */
async function exportAs(env: Record<string, string>, spans: TestSpan[]) {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT!;
  const named = spans.map((s) => ({ ...s, service: env.OTEL_SERVICE_NAME! }));
  if (env.OTEL_EXPORTER_OTLP_PROTOCOL === "grpc") return exportGrpc(endpoint.replace("http://", ""), exportRequest(named));
  const res = await fetch(`${endpoint}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array(encodeExport(exportRequest(named))) });
  expect(res.status).toBe(200);
}

describe("the smoke's telemetry wiring", () => {
  it("is one switch, off until the service templates export telemetry", async () => {
    expect(typeof SMOKE_CHECKS_TELEMETRY).toBe("boolean");
    expect(await startSmokeTelemetry(m, false)).toBeUndefined();
  });

  it("tells each service where to export, over both protocols, and gives each worker a metrics port", async () => {
    const t = (await startSmokeTelemetry(m, true))!;
    try {
      const o = t.env("orchestrator", protocolFor("orchestrator", m));
      const w = t.env("scorer", protocolFor("scorer", m));
      expect(o).toEqual({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://${t.receiver.grpcAddr}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
        OTEL_SERVICE_NAME: "risk-api-orchestrator",
        OTEL_TRACES_SAMPLER: "always_on",
        OTEL_BSP_SCHEDULE_DELAY: "100",
      });
      expect(w).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://${t.receiver.httpAddr}`, OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf", OTEL_SERVICE_NAME: "risk-api-scorer" });
      expect(w.METRICS_ADDR).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(t.env("pricing", "grpc").METRICS_ADDR).not.toBe(w.METRICS_ADDR);
      expect(traceNames(m).workers).toEqual(["risk-api-scorer", "risk-api-pricing"]);

      // The orchestrator's spans over gRPC, the worker's over HTTP: the smoke's trace check sees one trace.
      const T = "ab".repeat(16);
      const SCORE = rpcSpanName(m, "Score");
      await exportAs(o, [
        { traceId: T, spanId: "0000000000000001", name: "POST /v1/score", kind: "SERVER", service: "" },
        { traceId: T, spanId: "0000000000000002", parentSpanId: "0000000000000001", name: SCORE, kind: "CLIENT", service: "" },
      ]);
      await exportAs(w, [
        { traceId: T, spanId: "0000000000000003", parentSpanId: "0000000000000002", name: SCORE, kind: "SERVER", service: "" },
        { traceId: T, spanId: "0000000000000004", parentSpanId: "0000000000000003", name: "score", kind: "INTERNAL", service: "" },
      ]);
      expect((await awaitTrace(m, t)).summary).toBe("trace: 4 spans across 2 services (risk-api-orchestrator, risk-api-scorer)");

      // Each service's /metrics, served where the smoke scrapes it.
      const orchestratorAddr = `127.0.0.1:${await freePort()}`;
      const servers = await Promise.all([
        serve(orchestratorAddr, "http_server_request_duration_seconds_count 3\nrpc_client_call_duration_seconds_count{worker=\"scorer\"} 3\n"),
        serve(w.METRICS_ADDR!, 'rpc_server_call_duration_seconds_count{rpc_method="Score"} 3\n'),
      ]);
      try {
        const traffic = { handled: 3, workerCalls: 3, served: { scorer: 3 } };
        expect(await checkSmokeMetrics(m, t, orchestratorAddr, traffic)).toBe("metrics: 3 histograms counted the smoke's traffic");
        await expect(checkSmokeMetrics(m, t, orchestratorAddr, { ...traffic, served: { scorer: 4, pricing: 1 } })).rejects.toThrow(
          "metrics from worker scorer: rpc_server_call_duration_seconds_count is 3, want at least 4 (the smoke's requests)\nmetrics: no scrape from worker pricing",
        );
      } finally {
        for (const s of servers) s.close();
      }
    } finally {
      await t.close();
    }
  });
});

function serve(addr: string, body: string): Promise<Server> {
  const [host, port] = addr.split(":");
  const server = createServer((req, res) => (req.url === "/metrics" ? res.end(body) : res.writeHead(404).end()));
  return new Promise((resolve) => server.listen(Number(port), host, () => resolve(server)));
}
