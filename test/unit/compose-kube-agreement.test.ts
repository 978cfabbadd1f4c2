import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { sidecarStopGraceSecs } from "../../src/render/workers.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * What compose and the cluster both say of a service, from one source: every
 * overlay of an sqs + KEDA repo with a uds and a tcp worker, built by kubectl
 * kustomize, against docker-compose.yml. Each container's memory request and
 * limit is the mem_limit compose gives the service of its name; a tcp
 * worker's grace is compose's stop_grace_period plus its preStop sleep (what
 * the cluster adds: endpoints to leave), and the orchestrator pod's is
 * compose's orchestrator grace plus each sidecar's stop in turn.
 */
interface Container {
  name: string;
  resources: { requests: { memory: string }; limits: { memory: string } };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  env?: { name: string; value?: string }[];
}
interface Deployment {
  kind: string;
  metadata: { name: string };
  spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Container[]; initContainers?: Container[] } } };
}
type ComposeService = { mem_limit: string; stop_grace_period?: string; environment?: Record<string, string> };

const m = parseManifest({
  name: "risk-api",
  orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress: "sqs", sink: "dynamodb" },
  workers: [{ name: "scorer", transport: "uds" }, { name: "pricing", transport: "tcp" }],
});
const dir = join(tempDir("chb-compose-kube-"), "risk-api");
mkdirSync(dir);
const tree = render(m);
writeTree(dir, tree);
const compose = parse(tree.get("docker-compose.yml")!.content.toString("utf8"), { merge: true }) as { services: Record<string, ComposeService> };
const secs = (d: string | undefined) => Number(/^(\d+)s$/.exec(d ?? "")?.[1]);

describe.each(["dev", "prod"])("overlay %s against compose", (overlay) => {
  const built = execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays", overlay)], { encoding: "utf8" });
  const deployments = parseAllDocuments(built)
    .map((d) => d.toJS() as Deployment)
    .filter((o) => o?.kind === "Deployment");
  const configMaps = parseAllDocuments(built)
    .map((d) => d.toJS() as { kind: string; metadata: { name: string }; data: Record<string, string> })
    .filter((o) => o?.kind === "ConfigMap");
  const byName = (name: string) => deployments.find((d) => d.metadata.name === name)!;

  it("builds the orchestrator with its sidecar, and the tcp worker's Deployment", () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(["orchestrator", "pricing"]);
    expect(byName("orchestrator").spec.template.spec.initContainers?.map((c) => c.name)).toEqual(["scorer"]);
  });

  it("gives every container the memory compose gives its service", () => {
    const containers = deployments.flatMap((d) => [...d.spec.template.spec.containers, ...(d.spec.template.spec.initContainers ?? [])]);
    expect(containers.map((c) => c.name).sort()).toEqual(["orchestrator", "pricing", "scorer"]);
    for (const c of containers) {
      const mib = /^(\d+)m$/.exec(compose.services[c.name]?.mem_limit ?? "")?.[1];
      expect(mib, `compose's ${c.name}`).toBeDefined();
      expect(c.resources.limits.memory, c.name).toBe(`${mib}Mi`);
      expect(c.resources.requests.memory, c.name).toBe(`${mib}Mi`);
    }
  });

  it("gives a tcp worker compose's grace plus its preStop sleep", () => {
    const pod = byName("pricing").spec.template.spec;
    const sleep = pod.containers[0]!.lifecycle?.preStop?.sleep?.seconds;
    expect(sleep).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBe(secs(compose.services.pricing!.stop_grace_period) + sleep!);
  });

  it("gives the orchestrator pod compose's orchestrator grace plus each sidecar's stop", () => {
    const pod = byName("orchestrator").spec.template.spec;
    // No preStop on a queue consumer: nothing routes to it.
    expect(pod.containers[0]!.lifecycle?.preStop).toBeUndefined();
    // Each sidecar's drain, as its ConfigMap sets it (kustomize appends a hash to the name).
    const sidecars = (pod.initContainers ?? []).map((c) => {
      const config = configMaps.find((o) => o.metadata.name.startsWith(`${c.name}-config-`));
      return Number(config?.data.SHUTDOWN_GRACE_SECS);
    });
    expect(sidecars.every((d) => d > 0), String(sidecars)).toBe(true);
    const expected = secs(compose.services.orchestrator!.stop_grace_period) + sidecars.reduce((t, drain) => t + sidecarStopGraceSecs(drain), 0);
    expect(pod.terminationGracePeriodSeconds).toBe(expected);
  });
});
