import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { workerContexts } from "../../src/render/workers.js";

/**
 * A worker's ports are assigned in one place (workers.ts, by manifest order);
 * every artefact about that worker (its image, config.rs defaults, README,
 * compose service, cluster manifests, the orchestrator's address for it) must
 * name those ports and no other worker's. Three workers, so an artefact that
 * hard-codes the first worker's port shows up on the other two.
 */
const m = parseManifest({
  name: "risk-api",
  orchestrator: { module: "example.com/risk-api/orchestrator", ingress: "sqs", sink: "none" },
  workers: [
    { name: "scorer", transport: "tcp" },
    { name: "pricing", transport: "tcp" },
    { name: "fraud", transport: "uds" },
  ],
});
const tree = render(m);
const workers = workerContexts(m);
const text = (path: string) => {
  const entry = tree.get(path);
  if (!entry) throw new Error(`${path} not rendered`);
  return entry.content.toString("utf8");
};
/** Every port in the workers' gRPC and metrics ranges a text names. */
const workerPorts = (s: string) => [...s.matchAll(/(?::|EXPOSE |containerPort: |port: "?)(5[01]0\d\d)\b/g)].map((p) => Number(p[1]));

describe.each(workers)("worker $name's ports agree everywhere", (w) => {
  const own = [w.port, w.metricsPort];

  it("its image, config.rs defaults and README name its own ports only", () => {
    const dockerfile = text(`workers/${w.name}/Dockerfile`);
    expect(dockerfile).toContain(`EXPOSE ${w.port}\n`);
    expect(dockerfile).toContain(`ENV LISTEN_ADDR=0.0.0.0:${w.port}\n`);
    expect(text(`workers/${w.name}/src/config.rs`)).toContain(`"0.0.0.0:${w.port}"`);
    for (const path of [`workers/${w.name}/Dockerfile`, `workers/${w.name}/src/config.rs`, `workers/${w.name}/README.md`]) {
      const ports = workerPorts(text(path));
      expect(ports.length, path).toBeGreaterThan(0);
      expect(ports.filter((p) => !own.includes(p)), path).toEqual([]);
    }
  });

  it("compose serves it, scrapes it and dials it on those ports", () => {
    const services = (parse(text("docker-compose.yml")) as { services: Record<string, { environment: Record<string, string> }> }).services;
    const env = services[w.name]!.environment;
    expect(env.METRICS_ADDR).toBe(`0.0.0.0:${w.metricsPort}`);
    if (w.transport === "tcp") {
      expect(env.LISTEN_ADDR).toBe(`0.0.0.0:${w.port}`);
      expect(services.orchestrator!.environment[w.env]).toBe(`${w.name}:${w.port}`);
    }
    expect(text("observability/prometheus.yml")).toContain(`${w.name}:${w.metricsPort}`);
  });

  it("the cluster's settings, containerPorts and probes use them", () => {
    const base = text("deploy/kubernetes/base/kustomization.yaml");
    const literals = base.split(`- name: ${w.name}-config\n`)[1]!.split("- name:")[0]!;
    expect(literals).toContain(`METRICS_ADDR=0.0.0.0:${w.metricsPort}`);
    if (w.transport === "tcp") {
      expect(literals).toContain(`LISTEN_ADDR=0.0.0.0:${w.port}`);
      expect(base).toContain(`${w.env}=dns:///${w.name}:${w.port}`);
      const ports = workerPorts(text(`deploy/kubernetes/base/workers/${w.name}/deployment.yaml`) + text(`deploy/kubernetes/base/workers/${w.name}/service.yaml`));
      expect(ports.length).toBeGreaterThan(0);
      expect(ports.filter((p) => !own.includes(p))).toEqual([]);
    }
  });
});
