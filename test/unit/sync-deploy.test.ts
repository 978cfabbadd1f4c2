import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UNPINNED_TAG } from "../../src/render/kubernetes.js";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * deploy/kubernetes is generated like any file: `add worker` brings the new
 * worker's workload, Service or sidecar, network rule and scaler, and keeps
 * the team's edits to the manifests (3-way merge).
 */
async function create(flags: string[]): Promise<string> {
  const parent = tempDir("chb-sync-deploy-");
  const created = await runCli(["app", "--yes", "--no-validate", ...flags], parent);
  expect(created.exitCode, created.stderr).toBe(0);
  return join(parent, "app");
}

const base = "deploy/kubernetes/base";

// Three CLI runs each (create, add, check or remove) on a shared 2-core machine.
describe("add worker, deploy/kubernetes", { timeout: 60_000 }, () => {
  it("tcp: its own Deployment, Service, scaler and network rule, wired into the base; edits survive", async () => {
    const dir = await create(["--transport", "tcp"]);
    const read = (p: string) => readFileSync(join(dir, p), "utf8");
    writeFileSync(join(dir, base, "kustomization.yaml"), read(`${base}/kustomization.yaml`).replace("      - LOG_LEVEL=info", "      - LOG_LEVEL=debug"));
    const add = await runCli(["add", "worker", "pricing"], dir);
    expect(add.exitCode, add.stderr + add.stdout).toBe(0);
    for (const f of ["kustomization", "deployment", "service", "scaling", "network-policy"]) {
      expect(existsSync(join(dir, base, "workers/pricing", `${f}.yaml`)), f).toBe(true);
    }
    const kustomization = read(`${base}/kustomization.yaml`);
    expect(kustomization).toContain("  - workers/pricing\n");
    expect(kustomization).toContain("      - WORKER_PRICING_ADDR=dns:///pricing:50052\n");
    expect(kustomization).toContain("  - name: pricing-config\n");
    expect(kustomization).toContain("      - LOG_LEVEL=debug\n");
    expect(read(`${base}/workers/pricing/network-policy.yaml`)).toContain("app.kubernetes.io/name: orchestrator");
    expect(read(`${base}/workers/pricing/scaling.yaml`)).toContain("kind: HorizontalPodAutoscaler");
    expect((await runCli(["sync", "--check"], dir)).exitCode).toBe(0);
  });

  it("uds: a sidecar in the orchestrator's pod and nothing of its own; remove takes it out again", async () => {
    const dir = await create(["--transport", "uds"]);
    const read = (p: string) => readFileSync(join(dir, p), "utf8");
    const add = await runCli(["add", "worker", "pricing"], dir);
    expect(add.exitCode, add.stderr + add.stdout).toBe(0);
    expect(existsSync(join(dir, base, "workers"))).toBe(false);
    const pod = read(`${base}/orchestrator-deployment.yaml`);
    expect(pod).toMatch(/initContainers:[\s\S]*- name: scorer\n[\s\S]*- name: pricing\n\s+image: pricing\n\s+restartPolicy: Always/);
    // The new sidecar's image is pinned in prod like every other.
    expect(read("deploy/kubernetes/overlays/prod/kustomization.yaml")).toMatch(new RegExp(`- name: pricing\\n\\s+newName: \\S+/pricing\\n\\s+newTag: "${UNPINNED_TAG}"`));
    expect(read(`${base}/kustomization.yaml`)).toContain("      - WORKER_PRICING_ADDR=unix:///sockets/pricing.sock\n");
    const remove = await runCli(["remove", "worker", "pricing"], dir);
    expect(remove.exitCode, remove.stderr + remove.stdout).toBe(0);
    expect(read(`${base}/orchestrator-deployment.yaml`)).not.toContain("pricing");
  });
});
