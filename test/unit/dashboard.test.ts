import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { DASHBOARD_PATH } from "../../src/render/observability.js";
import { orchestratorMetrics, PROCESS_METRICS, WORKER_METRICS } from "../../src/render/telemetry.js";

const manifest = (ingress: string) =>
  parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress }, docker: false, workers: [{ name: "scorer" }, { name: "pricing" }] });

/** PromQL's words in the dashboard's expressions; any other identifier must be a metric from telemetry.ts. */
const PROMQL = new Set(["histogram_quantile", "sum", "max", "by", "rate"]);
const LABELS = new Set(["le", "worker", "job", "rpc_method", "outcome", "http_response_status_code", "shard_id", "call"]);

function identifiers(expr: string): string[] {
  return [...expr.replace(/\$__rate_interval/g, "").matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((x) => x[0]).filter((t) => !PROMQL.has(t) && !LABELS.has(t));
}

describe.each(["http", "sqs", "kinesis"])("Grafana dashboard, %s", (ingress) => {
  const m = manifest(ingress);
  const text = render(m).get(DASHBOARD_PATH)!.content.toString("utf8");
  const d = JSON.parse(text) as {
    schemaVersion: number;
    uid: string;
    templating: { list: { name: string; type: string; query: string }[] };
    panels: { title: string; datasource: { uid: string }; targets: { expr: string; datasource: { uid: string } }[] }[];
  };

  it("imports as is: a schema version, its Prometheus data source a variable every query uses", () => {
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(d.uid.length).toBeLessThanOrEqual(40);
    expect(d.templating.list).toContainEqual(expect.objectContaining({ name: "DS_PROMETHEUS", type: "datasource", query: "prometheus" }));
    for (const p of d.panels) {
      expect(p.datasource.uid).toBe("${DS_PROMETHEUS}");
      for (const t of p.targets) expect(t.datasource.uid).toBe("${DS_PROMETHEUS}");
    }
  });

  it("queries only metrics from telemetry.ts (a histogram by its _bucket or _count)", () => {
    const known = new Set<string>([...PROCESS_METRICS]);
    for (const r of [...orchestratorMetrics(m), ...WORKER_METRICS]) {
      known.add(r.name);
      if (r.type === "histogram") for (const s of ["_bucket", "_count", "_sum"]) known.add(r.name + s);
    }
    const used = d.panels.flatMap((p) => p.targets.flatMap((t) => identifiers(t.expr)));
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((u) => !known.has(u))).toEqual([]);
  });

  it("shows latency per hop, shed rate, batch sizes and memory", () => {
    const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr)).join("\n");
    const front = ingress === "http" ? "http_server_request_duration_seconds_bucket" : "messaging_process_duration_seconds_bucket";
    for (const name of [front, "rpc_client_call_duration_seconds_bucket", "rpc_server_call_duration_seconds_bucket", "scoring_pool_queue_duration_seconds_bucket", "scoring_shed_calls_total", "scoring_batch_items_bucket", "orchestrator_coalesced_batch_size_bucket", "process_resident_memory_bytes"]) {
      expect(exprs).toContain(name);
    }
  });

  it("shows the queue presets' isolation canaries by outcome", () => {
    const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr)).join("\n");
    expect(exprs.includes("orchestrator_canaries_total")).toBe(ingress !== "http");
  });

  it("shows the SQS consumer's failed deletes and visibility changes by call", () => {
    const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr)).join("\n");
    expect(exprs.includes("sum by (call) (rate(orchestrator_acknowledge_failures_total")).toBe(ingress === "sqs");
  });
});

it("the dashboard is there without Docker; the compose stack's configs are not", () => {
  const tree = render(manifest("http"));
  expect(tree.has(DASHBOARD_PATH)).toBe(true);
  expect([...tree.keys()].filter((p) => p.startsWith("observability/"))).toEqual([DASHBOARD_PATH]);
  const docker = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" } }));
  expect([...docker.keys()].filter((p) => p.startsWith("observability/")).sort()).toEqual(
    [DASHBOARD_PATH, "observability/otel-collector.yaml", "observability/prometheus.yml", "observability/grafana-datasource.yaml", "observability/grafana-dashboards.yaml"].sort(),
  );
});

describe("Grafana dashboard, queue lag", () => {
  it("shows how far consuming is behind: SQS message age, Kinesis distance from the tip", () => {
    const titles = (ingress: string) => (JSON.parse(render(manifest(ingress)).get(DASHBOARD_PATH)!.content.toString("utf8")) as { panels: { title: string }[] }).panels.map((p) => p.title);
    expect(titles("sqs")).toContain("Queue lag: message age at receive");
    expect(titles("kinesis")).toContain("Stream lag: behind the tip per shard");
    expect(titles("http").some((t) => /lag/i.test(t))).toBe(false);
  });
});
