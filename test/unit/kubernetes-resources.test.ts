import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { CPU_LIMIT_FACTOR, GO_MIN_GOMAXPROCS, NO_CPU_LIMIT_REASON, resourcesFor, serviceResources } from "../../src/render/resources.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Requests and limits as the built manifests carry them: the CPU-bound
 * workers run without a CPU limit (a CFS quota would throttle scoring against
 * the caller's deadline), every memory limit is its request, and checkov's
 * CPU-limit check is skipped, with its reason, exactly on the pods that need it.
 */
interface Container {
  name: string;
  env?: { name: string; value?: string; valueFrom?: { resourceFieldRef?: { resource: string; divisor?: string } } }[];
  resources: { requests: { cpu: string; memory: string }; limits: { cpu?: string; memory: string } };
}
interface Deployment {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } };
}

function built(transport: "tcp" | "uds") {
  const dir = join(tempDir("chb-kube-res-"), "repo");
  mkdirSync(dir);
  const m = parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress: "http" },
    workers: [{ name: "scorer", transport }, { name: "pricing", transport }],
  });
  writeTree(dir, render(m));
  const yaml = execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays/prod")], { encoding: "utf8" });
  const deployments = parseAllDocuments(yaml)
    .map((d) => d.toJS() as Deployment)
    .filter((o) => o.kind === "Deployment");
  return { deployments, readme: readFileSync(join(dir, "README.md"), "utf8") };
}

const containers = (d: Deployment) => [...d.spec.template.spec.containers, ...(d.spec.template.spec.initContainers ?? [])];
const skipsCpuLimitCheck = (d: Deployment) => Object.values(d.metadata.annotations ?? {}).includes(`CKV_K8S_11=${NO_CPU_LIMIT_REASON}`);

describe("resources derived from bench figures", () => {
  it("memory request = limit = peak RSS × 2 rounded up to 16 Mi; cpu request from µs per request at the design rate; cpu limit only with a factor", () => {
    expect(resourcesFor({ peakRssMiB: 12, cpuMicrosPerRequest: 30 }, 4)).toEqual({
      requests: { cpu: "50m", memory: "32Mi" },
      limits: { cpu: "2", memory: "32Mi" },
    });
    // Whole CPUs above GOMAXPROCS' floor: 750m × 4 is 3.
    expect(resourcesFor({ peakRssMiB: 12, cpuMicrosPerRequest: 750 }, 4).limits.cpu).toBe("3");
    expect(resourcesFor({ peakRssMiB: 40, cpuMicrosPerRequest: 120 }, undefined)).toEqual({
      requests: { cpu: "150m", memory: "80Mi" },
      limits: { cpu: null, memory: "80Mi" },
    });
  });

  it("the worker has no cpu limit; the orchestrator's is well above its request", () => {
    expect(CPU_LIMIT_FACTOR.worker).toBeUndefined();
    expect(serviceResources("worker").limits.cpu).toBeNull();
    expect(CPU_LIMIT_FACTOR.orchestrator).toBeGreaterThanOrEqual(2);
  });
});

describe.each(["tcp", "uds"] as const)("built resources, %s workers", (transport) => {
  const { deployments, readme } = built(transport);

  it("every worker container runs without a cpu limit, every container's memory limit is its request", () => {
    const all = deployments.flatMap(containers);
    const workers = all.filter((c) => c.name !== "orchestrator");
    expect(workers.map((c) => c.name).sort()).toEqual(["pricing", "scorer"]);
    for (const c of workers) {
      expect(c.resources.limits.cpu, c.name).toBeUndefined();
      expect(c.resources.requests.cpu, c.name).toBe(serviceResources("worker").requests.cpu);
    }
    const orchestrator = all.find((c) => c.name === "orchestrator")!;
    expect(orchestrator.resources.limits.cpu).toBe(serviceResources("orchestrator").limits.cpu);
    for (const c of all) expect(c.resources.limits.memory, c.name).toBe(c.resources.requests.memory);
  });

  it("every worker container takes CPU_BUDGET from its own cpu (the downward API, whole CPUs), never the node's cores", () => {
    const workers = deployments.flatMap(containers).filter((c) => c.name !== "orchestrator");
    expect(workers.length).toBe(2);
    for (const c of workers) {
      const budget = (c.env ?? []).filter((e) => e.name === "CPU_BUDGET");
      // Without a limit, limits.cpu would give the node's allocatable CPUs.
      const resource = c.resources.limits.cpu === undefined ? "requests.cpu" : "limits.cpu";
      expect(budget, c.name).toEqual([{ name: "CPU_BUDGET", valueFrom: { resourceFieldRef: { resource, divisor: "1" } } }]);
    }
  });

  it("the orchestrator's cpu limit is the GOMAXPROCS the Go runtime derives from it: whole CPUs, at least 2", () => {
    // Go (1.25+) sets GOMAXPROCS to the limit rounded up, never below 2, and sizes the API's
    // in-flight budget by it. A quota below that (600m gave GOMAXPROCS 2) lets both Ps spend the
    // period's quota in a fraction of it and stall for the rest, and admits work for CPUs it lacks.
    const orchestrator = deployments.flatMap(containers).find((c) => c.name === "orchestrator")!;
    const limit = String(orchestrator.resources.limits.cpu);
    const cores = limit.endsWith("m") ? Number(limit.slice(0, -1)) / 1000 : Number(limit);
    const gomaxprocs = Math.max(2, Math.ceil(cores));
    expect(cores, `limits.cpu ${limit}`).toBe(gomaxprocs);
  });

  it("the README tells how the uncapped workers size themselves", () => {
    expect(readme).toContain("`CPU_BUDGET` to its CPU request, rounded up to whole CPUs");
  });

  it("skips checkov's CPU-limit check, with the reason, on exactly the pods with an uncapped container", () => {
    for (const d of deployments) {
      expect(skipsCpuLimitCheck(d), d.metadata.name).toBe(containers(d).some((c) => c.resources.limits.cpu === undefined));
    }
    expect(deployments.filter(skipsCpuLimitCheck).length).toBe(transport === "uds" ? 1 : 2);
  });

  it("the README's sizing text says what the manifests do", () => {
    expect(readme).toContain("Every memory limit equals its request");
    expect(readme).toContain("The workers have no CPU limit");
    expect(readme).toContain(`The\norchestrator's CPU limit is ${CPU_LIMIT_FACTOR.orchestrator}× its request, in whole CPUs and at least ${GO_MIN_GOMAXPROCS}`);
  });
});
