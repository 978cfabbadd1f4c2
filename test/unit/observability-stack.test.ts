import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { TEMPLATES_DIR } from "../../src/paths.js";
import { ORCHESTRATOR_PORT } from "../../src/render/kubernetes.js";
import { FIRST_WORKER_PORT } from "../../src/render/workers.js";
import { workerMetricsPort } from "../../src/render/otel-env.js";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { OTLP_GRPC_PORT, OTLP_HTTP_PORT, otelSharedEnv } from "../../src/render/otel-env.js";
import { COLLECTOR_HOST, COLLECTOR_MEMORY, DASHBOARD_PATH, GRAFANA_PORT, JAEGER_UI_PORT, PROMETHEUS_PORT, STACK_IMAGES } from "../../src/render/observability.js";

/**
 * The compose stack held together across its files: every service exports to
 * the collector compose runs, the collector forwards to the Jaeger compose
 * runs, Prometheus scrapes the ports the services really listen on, and the
 * files compose mounts exist. The collector's config on its own is checked by
 * the collector itself (its `validate`, built at the image's release, in
 * test/e2e/collector-config.test.ts); these tests see what it cannot: the
 * other files and services.
 */
const presets = [{ ingress: "http" }, { ingress: "sqs", sink: "dynamodb" }, { ingress: "kinesis", sink: "none" }];

type Obj = Record<string, unknown>;
const hostPort = (url: string) => /^(?:https?:\/\/)?([^:/]+):(\d+)$/.exec(url)!.slice(1);

describe.each(presets)("compose observability stack, $ingress", (orchestrator) => {
  const m = parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ...orchestrator }, workers: [{ name: "scorer" }, { name: "pricing" }] });
  const tree = render(m);
  // merge: compose resolves the `<<: *otel` keys (YAML's merge type), and so must the tests.
  const file = (p: string) => parse(tree.get(p)!.content.toString("utf8"), { merge: true }) as Obj;
  const compose = file("docker-compose.yml") as { services: Record<string, { image?: string; environment?: Obj; ports?: string[]; volumes?: string[] }> };
  const collector = file("observability/otel-collector.yaml") as Record<string, Obj> & { service: { extensions: string[]; pipelines: Record<string, Record<string, string[]>> } };

  it("the collector's traces pipeline forwards to the Jaeger compose runs, on its OTLP gRPC port", () => {
    const exporters = collector.service.pipelines.traces!.exporters!;
    expect(exporters).toHaveLength(1);
    const exporter = (collector.exporters as Record<string, { endpoint: string }>)[exporters[0]!]!;
    const [host, port] = hostPort(exporter.endpoint);
    expect(compose.services[host!]?.image).toBe(STACK_IMAGES.jaeger);
    expect(port).toBe(String(OTLP_GRPC_PORT));
  });

  it("the collector's memory_limiter works within a memory limit compose sets, not a share of the host's", () => {
    // A *_percentage is of the container's cgroup limit, or the host's memory where there is none.
    const limiter = (collector.processors as Record<string, Record<string, number>>).memory_limiter!;
    expect(Object.keys(limiter).filter((k) => k.endsWith("_percentage"))).toEqual([]);
    const service = compose.services["otel-collector"] as { mem_limit?: string; environment?: Record<string, string> };
    const containerMib = Number(/^(\d+)m$/.exec(service.mem_limit ?? "")?.[1]);
    expect(containerMib, "otel-collector's mem_limit").toBeGreaterThan(0);
    expect(containerMib).toBe(COLLECTOR_MEMORY.containerMib);
    expect(limiter.limit_mib).toBeLessThan(containerMib);
    expect(limiter.spike_limit_mib).toBeGreaterThan(0);
    expect(limiter.spike_limit_mib).toBeLessThan(limiter.limit_mib!);
    // The Go GC's soft limit at the limiter's hard one: it collects harder before spans are refused.
    expect(service.environment?.GOMEMLIMIT).toBe(`${limiter.limit_mib}MiB`);
  });

  it("every service exports to the collector compose runs, on a port its receiver listens on", () => {
    const receiver = (collector.receivers as { otlp: { protocols: Record<string, { endpoint: string }> } }).otlp.protocols;
    const grpcPort = hostPort(receiver.grpc!.endpoint)[1];
    const exporting = Object.entries(compose.services).filter(([, s]) => s.environment?.OTEL_EXPORTER_OTLP_ENDPOINT);
    expect(exporting.map(([n]) => n).sort()).toEqual(["orchestrator", "pricing", "scorer", ...(orchestrator.ingress === "http" ? [] : ["bootstrap"])].sort());
    for (const [, s] of exporting) {
      const [host, port] = hostPort(String(s.environment!.OTEL_EXPORTER_OTLP_ENDPOINT));
      expect(compose.services[host!]?.image).toBe(STACK_IMAGES.collector);
      expect(port).toBe(grpcPort);
      expect(s.environment!.OTEL_EXPORTER_OTLP_PROTOCOL).toBe("grpc");
    }
  });

  it("writes each shared OTEL_* setting once, in x-otel, which every exporting service merges", () => {
    const text = tree.get("docker-compose.yml")!.content.toString("utf8");
    for (const [key, value] of otelSharedEnv(COLLECTOR_HOST)) {
      expect(text.match(new RegExp(`^ +${key}:`, "gm")), key).toHaveLength(1);
      expect((compose as unknown as { "x-otel": Obj })["x-otel"][key]).toBe(value);
      for (const name of ["orchestrator", "scorer", "pricing", ...(orchestrator.ingress === "http" ? [] : ["bootstrap"])]) {
        expect(compose.services[name]!.environment![key], `${name}'s ${key}`).toBe(value);
      }
    }
  });

  it("Prometheus scrapes the orchestrator's LISTEN_ADDR and each worker's METRICS_ADDR", () => {
    const prom = file("observability/prometheus.yml") as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const targets = Object.fromEntries(prom.scrape_configs.map((c) => [c.job_name, c.static_configs.flatMap((s) => s.targets)]));
    expect(Object.keys(targets).sort()).toEqual(["orchestrator", "pricing", "scorer"]);
    for (const [job, [target]] of Object.entries(targets)) {
      const [host, port] = hostPort(target!);
      expect(host).toBe(job);
      const env = compose.services[host!]!.environment!;
      expect(String(env[job === "orchestrator" ? "LISTEN_ADDR" : "METRICS_ADDR"])).toBe(`0.0.0.0:${port}`);
    }
  });

  it("Grafana reads the Prometheus compose runs and loads the dashboard from where compose mounts it", () => {
    const ds = (file("observability/grafana-datasource.yaml") as { datasources: { url: string; type: string; isDefault: boolean }[] }).datasources;
    expect(ds).toHaveLength(1);
    const [host, port] = hostPort(ds[0]!.url);
    expect(compose.services[host!]?.image).toBe(STACK_IMAGES.prometheus);
    expect(compose.services[host!]!.ports).toContain(`127.0.0.1:${port}:${port}`);
    const provider = (file("observability/grafana-dashboards.yaml") as { providers: { options: { path: string } }[] }).providers[0]!;
    const mount = compose.services.grafana!.volumes!.find((v) => v.startsWith(`./${DASHBOARD_PATH}:`))!;
    expect(mount.split(":")[1]!.startsWith(`${provider.options.path}/`)).toBe(true);
  });

  it("mounts files the repo has, and pins every image by version", () => {
    for (const s of Object.values(compose.services)) {
      for (const v of s.volumes ?? []) expect(tree.has(v.split(":")[0]!.replace(/^\.\//, "")), v).toBe(true);
      if (s.image) expect(s.image).toMatch(/:v?\d+\.\d+\.\d+$/);
    }
  });
});

describe("the stack's config templates", () => {
  // A port the generator owns (a service's listener, the stack's UIs and OTLP) is placed from its
  // constant, never written out: a copy would go on scraping or exporting to the old one after a move.
  const owned = [ORCHESTRATOR_PORT, FIRST_WORKER_PORT, workerMetricsPort(FIRST_WORKER_PORT), OTLP_GRPC_PORT, OTLP_HTTP_PORT, PROMETHEUS_PORT, GRAFANA_PORT, JAEGER_UI_PORT];
  const dir = join(TEMPLATES_DIR, "root", "observability");
  it.each(readdirSync(dir))("%s names no owned port literally", (file) => {
    const text = readFileSync(join(dir, file), "utf8");
    expect(owned.filter((port) => new RegExp(`\\b${port}\\b`).test(text))).toEqual([]);
  });
});
