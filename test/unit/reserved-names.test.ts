import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { literalServices, templateNames } from "../../src/template-names.js";

const minimal = { name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" } };
const text = (tree: ReturnType<typeof render>, path: string) => {
  const entry = tree.get(path);
  if (!entry) throw new Error(`no ${path} in the render`);
  return Buffer.from(entry.content).toString("utf8");
};

describe("worker names the templates already use", () => {
  it("reads every fixed compose service, of every ingress, from the template", () => {
    const fixed = new Set(templateNames().composeServices);
    for (const ingress of ["http", "sqs", "kinesis"]) {
      const m = parseManifest({ ...minimal, orchestrator: { ...minimal.orchestrator, ingress } });
      const services = Object.keys(parse(text(render(m), "docker-compose.yml")).services);
      const others = services.filter((s) => !m.workers.some((w) => w.name === s));
      expect(others.length).toBeGreaterThan(3);
      for (const s of others) expect(fixed, `${ingress}: ${s}`).toContain(s);
    }
  });

  it("takes only the literal keys directly under services:", () => {
    const source = "name: {{name}}\nx-aws: &aws\n  moto: no\nservices:\n{{#each k8s.workers}}\n  {{name}}:\n    build: .\n{{/each}}\n  db:\n    environment:\n      cache:\n  web:\nvolumes:\n  data: {}\n";
    expect(literalServices(source)).toEqual(["db", "web"]);
  });

  it("reads the literal Kubernetes object names and the orchestrator's commands", () => {
    const { kubernetesObjects, commands } = templateNames();
    expect(kubernetesObjects).toEqual(expect.arrayContaining(["orchestrator", "orchestrator-config", "default-deny-ingress"]));
    expect(commands).toEqual(expect.arrayContaining(["orchestrator", "bootstrap", "produce", "verify", "smoke", "gateway", "loadgen"]));
  });

  it.each([
    ["jaeger", "another service in docker-compose\\.yml"],
    ["grafana", "another service in docker-compose\\.yml"],
    // Also a compose service, but the message gives the reason listed last: a crate in the lock.
    ["prometheus", "a dependency in the workers. Cargo\\.lock"],
    ["moto", "another service in docker-compose\\.yml"],
    ["orchestrator", "another service in docker-compose\\.yml"],
    ["gateway", "an orchestrator command"],
    ["loadgen", "an orchestrator command"],
  ])("refuses a worker named %s", (name, why) => {
    expect(() => parseManifest({ ...minimal, workers: [{ name: "scorer" }, { name }] })).toThrow(
      new RegExp(`^workers\\.1\\.name \\(--workers\\): "${name}" is not valid; "${name}" is reserved \\((?:it names )?${why}`),
    );
  });

  it("leaves every other worker its own compose service key", () => {
    const m = parseManifest({ ...minimal, workers: [{ name: "scorer" }, { name: "pricing" }] });
    expect(() => parse(text(render(m), "docker-compose.yml"), { uniqueKeys: true })).not.toThrow();
  });
});
