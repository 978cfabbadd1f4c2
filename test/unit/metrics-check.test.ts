import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { WORKER_METRICS } from "../../src/render/telemetry.js";
import { countExpectations } from "../../src/validate/telemetry-smoke.js";
import { checkCounts, histogramCount, parseExposition } from "../../src/validate/metrics-check.js";

// Scrapes shaped as the Go (client_golang via the OTel Prometheus exporter) and Rust exporters write them.
const ORCHESTRATOR = `# HELP http_server_request_duration_seconds Duration of HTTP server requests.
# TYPE http_server_request_duration_seconds histogram
http_server_request_duration_seconds_bucket{http_request_method="POST",http_response_status_code="200",http_route="/v1/score",otel_scope_name="x",le="0.005"} 7
http_server_request_duration_seconds_bucket{http_request_method="POST",http_response_status_code="200",http_route="/v1/score",otel_scope_name="x",le="+Inf"} 9
http_server_request_duration_seconds_sum{http_request_method="POST",http_response_status_code="200",http_route="/v1/score",otel_scope_name="x"} 0.0123
http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="200",http_route="/v1/score",otel_scope_name="x"} 9
http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="400",http_route="/v1/score",otel_scope_name="x"} 1
# TYPE rpc_client_call_duration_seconds histogram
rpc_client_call_duration_seconds_count{rpc_grpc_status_code="0",rpc_method="Score",worker="scorer"} 8
go_goroutines 12
process_start_time_seconds 1.7e+09
target_info{service_name="risk-api-orchestrator",note="a \\"quoted\\", comma\\\\"} 1
`;
const WORKER = `# TYPE rpc_server_call_duration_seconds histogram
rpc_server_call_duration_seconds_bucket{rpc_method="Score",rpc_grpc_status_code="0",le="+Inf"} 6 1700000000000
rpc_server_call_duration_seconds_count{rpc_method="Score",rpc_grpc_status_code="0"} 6 1700000000000
rpc_server_call_duration_seconds_count{rpc_method="ScoreBatch",rpc_grpc_status_code="0"} 2
scoring_in_flight_calls NaN
`;

describe("Prometheus text parser", () => {
  it("reads names, labels (escapes included), values and skips comments and timestamps", () => {
    const s = parseExposition(ORCHESTRATOR);
    expect(s).toHaveLength(9);
    expect(s.at(-1)).toEqual({ name: "target_info", labels: { service_name: "risk-api-orchestrator", note: 'a "quoted", comma\\' }, value: 1 });
    expect(s[1]!.labels.le).toBe("+Inf");
    expect(s[2]!.value).toBe(0.0123);
    expect(s.find((x) => x.name === "process_start_time_seconds")!.value).toBe(1.7e9);
    expect(parseExposition(WORKER)[0]!.value).toBe(6);
    expect(Number.isNaN(parseExposition(WORKER).at(-1)!.value)).toBe(true);
  });

  it("sums a histogram's count over its series", () => {
    expect(histogramCount(parseExposition(ORCHESTRATOR), "http_server_request_duration_seconds")).toBe(10);
    expect(histogramCount(parseExposition(WORKER), "rpc_server_call_duration_seconds")).toBe(8);
    expect(histogramCount(parseExposition(WORKER), "absent")).toBe(0);
  });

  it("names the line it cannot read", () => {
    expect(() => parseExposition("ok 1\nbad{x=unquoted} 1\n")).toThrow(/metrics line 2: cannot read labels \{x=unquoted\}/);
    expect(() => parseExposition("ok one\n")).toThrow(/metrics line 1: value "one" is not a number/);
    expect(() => parseExposition("{} 1\n")).toThrow(/metrics line 1 is not a sample/);
  });
});

describe("smoke metric counts", () => {
  const m = parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator" } });
  const histograms = countExpectations(m, { handled: 8, workerCalls: 8, served: {} }).map((x) => x.histogram);
  const serverCalls = WORKER_METRICS.find((x) => x.name === "rpc_server_call_duration_seconds")!.name;

  it("passes when every histogram counted at least the smoke's requests (names from telemetry.ts)", () => {
    expect(histograms).toEqual(["http_server_request_duration_seconds", "rpc_client_call_duration_seconds"]);
    const expectations = [
      ...histograms.map((h) => ({ source: "orchestrator", histogram: h, atLeast: 8 })),
      { source: "worker scorer", histogram: serverCalls, atLeast: 8 },
    ];
    expect(checkCounts({ orchestrator: ORCHESTRATOR, "worker scorer": WORKER }, expectations)).toEqual([]);
  });

  it("names the short count, the absent histogram, the missing scrape and the unreadable one", () => {
    const problems = checkCounts({ orchestrator: ORCHESTRATOR, "worker scorer": WORKER, "worker bad": "x{" }, [
      { source: "orchestrator", histogram: "rpc_client_call_duration_seconds", atLeast: 9 },
      { source: "worker scorer", histogram: "messaging_process_duration_seconds", atLeast: 1 },
      { source: "worker pricing", histogram: serverCalls, atLeast: 1 },
      { source: "worker bad", histogram: serverCalls, atLeast: 1 },
    ]);
    expect(problems).toEqual([
      "metrics from orchestrator: rpc_client_call_duration_seconds_count is 8, want at least 9 (the smoke's requests)",
      "metrics from worker scorer: no messaging_process_duration_seconds_count; histograms present: rpc_server_call_duration_seconds",
      "metrics: no scrape from worker pricing",
      'metrics from worker bad: metrics line 1 is not a sample: "x{"',
    ]);
  });
});

describe("smoke metric counts for queue presets", () => {
  it("count the messages handled and the worker calls, not the receive batches", () => {
    const m = parseManifest({ name: "risk-q", orchestrator: { module: "github.com/acme/risk-q/orchestrator", ingress: "sqs", sink: "dynamodb" } });
    expect(countExpectations(m, { handled: 3, workerCalls: 3, served: {} }).map((x) => x.histogram)).toEqual([
      "messaging_process_duration_seconds",
      "rpc_client_call_duration_seconds",
    ]);
  });
});
