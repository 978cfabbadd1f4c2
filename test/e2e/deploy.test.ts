import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest, type Manifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { writeTree } from "../../src/write/create.js";
import { deployStep } from "../../src/validate/deploy.js";
import { NO_ACTIVITY } from "../../src/validate/activity.js";
import { goDepsGate, type StepContext } from "../../src/validate/steps.js";
import { tempDir } from "../helpers/cli.js";

/**
 * validate's deploy step with the real tools (kubectl kustomize,
 * kubernetes-validate, check-jsonschema with the vendored KEDA schemas,
 * checkov) on every preset × transport; no go or cargo needed. Then the same
 * step on broken manifests, so a pass is known to mean something.
 */
const PRESETS = {
  http: { ingress: "http" },
  sqs: { ingress: "sqs", sink: "dynamodb" },
  kinesis: { ingress: "kinesis", sink: "dynamodb" },
} as const;
const cases = Object.entries(PRESETS).flatMap(([preset, orchestrator]) =>
  (["tcp", "uds"] as const).map((transport) => ({ preset, orchestrator, transport })),
);

function generate(m: Manifest): string {
  const dir = join(tempDir("chb-deploy-"), m.name);
  mkdirSync(dir);
  writeTree(dir, render(m));
  return dir;
}

async function runStep(dir: string, m: Manifest): Promise<{ notes: string[]; ms: number }> {
  const work = tempDir("chb-deploy-work-");
  const notes: string[] = [];
  const ctx: StepContext = {
    activity: NO_ACTIVITY,
    dir,
    manifest: m,
    work,
    buf: "",
    log: (step) => join(work, `${step}.log`),
    binaries: {},
    toolVersions: [],
    note: (msg) => notes.push(msg),
    ...goDepsGate(),
  };
  const started = performance.now();
  await deployStep(ctx);
  return { notes, ms: Math.round(performance.now() - started) };
}

const manifestFor = (orchestrator: object, transport: string, workers = ["scorer", "pricing"]) =>
  parseManifest({
    name: "risk-api",
    orchestrator: { module: "example.com/risk-api/orchestrator", ...orchestrator },
    workers: workers.map((name) => ({ name, transport })),
  });

describe.each(cases)("deploy step: $preset × $transport", ({ orchestrator, transport }) => {
  it("builds every overlay, passes strict schemas and KEDA's, and checkov finds nothing", async () => {
    const m = manifestFor(orchestrator, transport);
    const { notes, ms } = await runStep(generate(m), m);
    const summary = notes.find((n) => n.startsWith("deploy:"))!;
    console.log(`[deploy ${orchestrator.ingress} ${transport}] ${ms} ms: ${summary}`);
    expect(summary).toMatch(/2 overlays built/);
    expect(summary).toMatch(/ 0 failed/);
    expect(summary).toMatch(/no server-side dry run/);
  });
});

describe("deploy step fails on", () => {
  const m = manifestFor(PRESETS.sqs, "tcp", ["scorer"]);

  it("an object the Kubernetes schema rejects (strict: an unknown field)", async () => {
    const dir = generate(m);
    const file = join(dir, "deploy/kubernetes/base/orchestrator-pdb.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("  maxUnavailable: 1\n", "  maxUnavailable: 1\n  maxUnavialable: 1\n"));
    await expect(runStep(dir, m)).rejects.toThrow(/kubernetes-validate|maxUnavialable/);
  });

  it("a KEDA object its CRD schema rejects", async () => {
    const dir = generate(m);
    const file = join(dir, "deploy/kubernetes/base/orchestrator-keda.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("    provider: aws\n", "    provider: aws-static-keys\n"));
    await expect(runStep(dir, m)).rejects.toThrow(/check-jsonschema/);
  });

  it("a policy checkov fails (a container allowed to escalate privileges)", async () => {
    const dir = generate(m);
    const file = join(dir, "deploy/kubernetes/base/workers/scorer/deployment.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"));
    await expect(runStep(dir, m)).rejects.toThrow(/checkov \(\d+ failed\)[\s\S]*CKV_K8S_20/);
  });

  it("a pod whose drain outlasts its grace period (SHUTDOWN_GRACE_SECS raised in an overlay)", async () => {
    const dir = generate(m);
    const file = join(dir, "deploy/kubernetes/overlays/prod/kustomization.yaml");
    // The overlay sets nothing of scorer's own: the team adds the block, as the README's settings say.
    const before = readFileSync(file, "utf8");
    const after = before.replace("configMapGenerator:\n", "$&  - name: scorer-config\n    behavior: merge\n    literals:\n      - SHUTDOWN_GRACE_SECS=120\n");
    expect(after).not.toBe(before);
    writeFileSync(file, after);
    await expect(runStep(dir, m)).rejects.toThrow(/prod: Deployment scorer: terminationGracePeriodSeconds/);
  });

  it("an overlay that moves a listener but not what points at it (OPS_LISTEN_ADDR in prod)", async () => {
    const dir = generate(m);
    const file = join(dir, "deploy/kubernetes/overlays/prod/kustomization.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("  - name: orchestrator-config\n    behavior: merge\n    literals:\n", "$&      - OPS_LISTEN_ADDR=0.0.0.0:9090\n"));
    await expect(runStep(dir, m)).rejects.toThrow(/prod: orchestrator\/orchestrator: containerPorts .* but listens on .*9090/);
  });

  it("a worker's cpu request, which its CPU_BUDGET reads, deleted in an overlay", async () => {
    // The API server takes it; the kubelet would give CPU_BUDGET 0.
    const dir = generate(m);
    const file = join(dir, "deploy/kubernetes/overlays/prod/kustomization.yaml");
    const before = readFileSync(file, "utf8");
    const after = before.replace(/^patches:\n/m, "$&  - target: {kind: Deployment, name: scorer}\n    patch: |-\n      - op: remove\n        path: /spec/template/spec/containers/0/resources/requests/cpu\n");
    expect(after).not.toBe(before);
    writeFileSync(file, after);
    await expect(runStep(dir, m)).rejects.toThrow(/check-jsonschema[\s\S]*deployment-\d+\.yaml/);
  });

  it("an overlay kustomize cannot build", async () => {
    const dir = generate(m);
    writeFileSync(join(dir, "deploy/kubernetes/overlays/dev/kustomization.yaml"), "resources:\n  - ../../missing\n");
    await expect(runStep(dir, m)).rejects.toThrow(/kubectl kustomize/);
  });
});
