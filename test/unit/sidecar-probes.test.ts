import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { PROBES } from "../../src/render/probes.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * uds workers run as native sidecars in the orchestrator's pod. A pod is Ready
 * only while every container in it is, so a sidecar's own readiness probe
 * would let one worker (one nothing routes to, even) take the whole pod out of
 * service. The orchestrator's /readyz already fails while a worker it routes
 * to is not SERVING: it is the pod's one readiness gate. The sidecars keep the
 * startup probe (the orchestrator starts after them) and the liveness probe (a
 * hung one is restarted).
 */
interface Probe { exec?: { command: string[] }; httpGet?: { path: string }; periodSeconds: number; failureThreshold: number }
interface Container { name: string; restartPolicy?: string; startupProbe?: Probe; livenessProbe?: Probe; readinessProbe?: Probe }
interface Deployment { kind: string; metadata: { name: string }; spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } } }

describe.each(["http", "sqs", "kinesis"] as const)("uds sidecars' probes, %s", (ingress) => {
  // pricing has no route of its own on a queue preset: nothing calls it, and it must not gate the pod.
  const m = parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress },
    workers: [{ name: "scorer", transport: "uds" }, { name: "pricing", transport: "uds" }, { name: "fraud", transport: "tcp" }],
  });
  const dir = join(tempDir("chb-sidecar-"), "repo");
  mkdirSync(dir);
  const tree = render(m);
  writeTree(dir, tree);
  const deployments = parseAllDocuments(execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays/prod")], { encoding: "utf8" }))
    .map((d) => d.toJS() as Deployment)
    .filter((o) => o.kind === "Deployment");
  const pod = deployments.find((d) => d.metadata.name === "orchestrator")!.spec.template.spec;
  const sidecars = pod.initContainers ?? [];

  it("leaves the pod's readiness to the orchestrator's /readyz alone: no sidecar has a readiness probe", () => {
    expect(sidecars.map((c) => c.name)).toEqual(["scorer", "pricing"]);
    for (const c of sidecars) expect(c.readinessProbe, c.name).toBeUndefined();
    expect(pod.containers.map((c) => c.name)).toEqual(["orchestrator"]);
    expect(pod.containers[0]!.readinessProbe?.httpGet?.path).toBe("/readyz");
  });

  it("still holds the orchestrator back until each sidecar serves, and restarts a hung one", () => {
    for (const c of sidecars) {
      expect(c.restartPolicy, c.name).toBe("Always");
      for (const probe of [c.startupProbe, c.livenessProbe]) expect(probe?.exec?.command.slice(0, 2), c.name).toEqual([`/usr/local/bin/${c.name}`, "--probe"]);
      expect(c.livenessProbe!.failureThreshold * c.livenessProbe!.periodSeconds).toBe(PROBES.liveness.failureThreshold * PROBES.liveness.periodSeconds);
    }
  });

  it("keeps a tcp worker's readiness probe: its own pod behind its own Service", () => {
    const fraud = deployments.find((d) => d.metadata.name === "fraud")!.spec.template.spec.containers[0]!;
    expect(fraud.readinessProbe).toBeDefined();
  });

  it("says so in the README's worker topology", () => {
    const readme = tree.get("README.md")!.content.toString("utf8").replace(/\s+/g, " ");
    expect(readme.includes("but no readiness probe: a pod is Ready only while all its containers are")).toBe(true);
  });
});
