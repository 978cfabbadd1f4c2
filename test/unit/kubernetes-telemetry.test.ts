import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { KUBE_COLLECTOR_HOST } from "../../src/render/kubernetes.js";
import { OTLP_GRPC_PORT, workerMetricsPort } from "../../src/render/otel-env.js";
import { ORCHESTRATOR_OPS_PORT } from "../../src/render/settings.js";
import { FIRST_WORKER_PORT } from "../../src/render/workers.js";
import { splitDocs } from "../../src/validate/deploy.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/** Issue 13 in the cluster: every pod says where its /metrics is, lets it be scraped, and exports OTLP to the collector. */
const manifest = (workers: [string, string][]) =>
  parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator" },
    workers: workers.map(([name, transport]) => ({ name, transport })),
  });

function build(workers: [string, string][]) {
  const m = manifest(workers);
  const dir = join(tempDir("chb-kube-otel-"), "repo");
  mkdirSync(dir);
  writeTree(dir, render(m));
  const yaml = execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays/prod")], { encoding: "utf8" });
  const docs = splitDocs(yaml).map((d) => ({ kind: d.kind, name: /^metadata:\n(?: {2}.*\n)*? {2}name: (\S+)/m.exec(d.text)![1]!, text: d.text }));
  return (kind: string, name: string) => docs.find((d) => d.kind === kind && d.name.startsWith(name))!.text;
}

const scorerMetrics = workerMetricsPort(FIRST_WORKER_PORT);
const pricingMetrics = workerMetricsPort(FIRST_WORKER_PORT + 1);

describe("telemetry in deploy/kubernetes", () => {
  it("tcp workers: scrape annotations, a metrics containerPort, a network rule for it, METRICS_ADDR and OTEL_SERVICE_NAME in its ConfigMap, the collector in shared-telemetry", () => {
    const one = build([["scorer", "tcp"], ["pricing", "tcp"]]);
    const scorer = one("Deployment", "scorer");
    expect(scorer).toContain(`prometheus.io/port: "${scorerMetrics}"`);
    expect(scorer).toMatch(/prometheus\.io\/scrape: "true"/);
    expect(scorer).toMatch(new RegExp(`- containerPort: ${scorerMetrics}\\n\\s+name: metrics`));
    expect(one("NetworkPolicy", "scorer")).toMatch(/- from:\n\s+- namespaceSelector:\n\s+matchLabels:\n\s+kubernetes.io\/metadata.name: observability\n\s+ports:\n\s+- port: metrics/);
    const config = one("ConfigMap", "pricing-config");
    expect(config).toContain(`METRICS_ADDR: 0.0.0.0:${pricingMetrics}`);
    expect(one("ConfigMap", "shared-telemetry")).toContain(`OTEL_EXPORTER_OTLP_ENDPOINT: http://${KUBE_COLLECTOR_HOST}:${OTLP_GRPC_PORT}`);
    expect(config).toContain("OTEL_SERVICE_NAME: risk-api-pricing");
    const o = one("Deployment", "orchestrator");
    // The HTTP API's /metrics is on its ops port, off the public one.
    expect(o).toContain(`prometheus.io/port: "${ORCHESTRATOR_OPS_PORT}"`);
    expect(one("ConfigMap", "orchestrator-config")).toContain("OTEL_SERVICE_NAME: risk-api-orchestrator");
  });

  it("uds sidecars: each its own metrics port in the orchestrator's pod, open to scrapes", () => {
    const one = build([["scorer", "uds"], ["pricing", "uds"]]);
    const o = one("Deployment", "orchestrator");
    expect(o).toMatch(new RegExp(`- containerPort: ${scorerMetrics}\\n\\s+name: metrics-0`));
    expect(o).toMatch(new RegExp(`- containerPort: ${pricingMetrics}\\n\\s+name: metrics-1`));
    // By number: a port name declared on an init container (a native sidecar) resolves only on some CNIs.
    expect(one("NetworkPolicy", "orchestrator")).toMatch(new RegExp(`- port: ${scorerMetrics}[\\s\\S]*- port: ${pricingMetrics}`));
    expect(one("NetworkPolicy", "orchestrator")).not.toMatch(/port: metrics-/);
    expect(one("ConfigMap", "scorer-config")).toContain(`METRICS_ADDR: 0.0.0.0:${scorerMetrics}`);
    // The pod's annotations can name one port: the README says where the sidecars' are instead.
    const readme = render(manifest([["scorer", "uds"], ["pricing", "uds"]])).get("README.md")!.content.toString("utf8");
    expect(readme).toContain(`\`metrics-0\` (scorer, ${scorerMetrics}), \`metrics-1\` (pricing, ${pricingMetrics})`);
    const tcp = render(manifest([["scorer", "tcp"]])).get("README.md")!.content.toString("utf8");
    expect(tcp).not.toContain("sidecar workers serve their `/metrics`");
  });
});
