import { execa } from "execa";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { ensurePythonLinter, pythonLinterDir } from "../../src/validate/linters.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * The generated CI's deploy job, run as GitLab runs it: its script lines
 * verbatim (go install of the pinned kustomize and kubeconform from the Go
 * module proxy, then deploy/kubernetes/check.sh), with GitHub's steps held to
 * the same commands. They must pass on the generated repo and fail on a
 * manifest broken the ways a team's edit breaks one.
 *
 * No machine here reaches the schema repository the job reads, so
 * KUBE_SCHEMAS points check.sh at the same Kubernetes schemas laid out as it
 * is: the strict ones kubernetes-validate bundles (validate's validator),
 * with their references made relative to the folder.
 */
interface GitLabJob {
  script: string[];
}
interface GitHubJob {
  steps: { run?: string }[];
}

let schemas = "";
let modCache = "";
beforeAll(async () => {
  modCache = (await execa("go", ["env", "GOMODCACHE"])).stdout.trim();
  await ensurePythonLinter("kubernetesValidate");
  schemas = kubernetesSchemaMirror("1.33.0");
}, 600_000);

describe.each([
  ["http", "tcp"],
  ["sqs", "uds"],
] as const)("the CI deploy job, %s × %s", (ingress, transport) => {
  const dir = join(tempDir("chb-deploy-job-"), "risk-api");
  const gopath = join(dir, ".cache", "go");
  let script = "";
  const env = () => ({
    ...process.env,
    GOPATH: gopath,
    // The machine's module and build caches: the proxy's downloads and builds are reused across runs.
    GOMODCACHE: modCache,
    GOFLAGS: "-mod=mod",
    KUBE_SCHEMAS: schemas,
  });
  const runJob = (text: string) => execa("bash", ["-eo", "pipefail", "-c", text], { cwd: dir, env: env(), reject: false, all: true, stdin: "ignore", timeout: 540_000 });

  beforeAll(() => {
    mkdirSync(dir);
    const m = parseManifest({
      name: "risk-api",
      orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress, ...(ingress === "http" ? {} : { sink: "dynamodb" }) },
      workers: [{ name: "scorer", transport }, { name: "pricing", transport: "tcp" }],
      ci: { providers: ["github", "gitlab"] },
    });
    writeTree(dir, render(m));
    const gitlab = parse(readFileSync(join(dir, ".gitlab-ci.yml"), "utf8")) as Record<string, GitLabJob>;
    script = gitlab.deploy!.script.join("\n");
  });

  it("runs GitHub's commands too", () => {
    const github = parse(readFileSync(join(dir, ".github/workflows/ci.yml"), "utf8")) as { jobs: Record<string, GitHubJob> };
    const runs = github.jobs.deploy!.steps.flatMap((s) => (s.run ?? "").split("\n")).map((l) => l.trim()).filter(Boolean);
    const lines = script.split("\n").filter((l) => !l.startsWith("export PATH"));
    for (const line of lines) expect(runs, line).toContain(line);
  });

  it("passes on the generated manifests", async () => {
    const run = await runJob(script);
    expect(run.exitCode, `${script}\n${run.all}`).toBe(0);
    expect(run.all).toMatch(/dev:\nSummary: \d+ resources found in 1 file - Valid: \d+, Invalid: 0, Errors: 0, Skipped: 0/);
    expect(run.all).toMatch(/prod:\nSummary: \d+ resources found in 1 file - Valid: \d+, Invalid: 0, Errors: 0, Skipped: 0/);
  }, 600_000);

  type Break = [what: string, file: string, edit: (text: string) => string, message: RegExp];
  const broken: Break[] = [
    // A misspelt field the API server would reject: strict schemas refuse it.
    ["a misspelt Deployment field", "deploy/kubernetes/base/orchestrator-deployment.yaml", (t) => t.replace(/^spec:\n/m, "spec:\n  replica: 3\n"), /Deployment orchestrator is invalid/],
    // A wrong type: an object where the API takes an integer or a percentage.
    ["a wrong type", "deploy/kubernetes/base/orchestrator-pdb.yaml", (t) => t.replace(/^spec:\n/m, "spec:\n  minAvailable: {}\n"), /PodDisruptionBudget orchestrator is invalid/],
    // An overlay kustomize cannot build.
    ["a missing resource", "deploy/kubernetes/base/kustomization.yaml", (t) => t.replace(/^resources:\n/m, "resources:\n  - gone.yaml\n"), /gone\.yaml/],
  ];
  // CPU_BUDGET reads the worker's cpu request (resourceFieldRef): deleted, the
  // kubelet gives 0 (a missing limit: the node's allocatable), which the API
  // server accepts; check.sh's second pass (schemas/resource-fields) refuses it.
  const unread = /check\.sh: prod: a container's env reads a request or limit \(resourceFieldRef\) its resources do not set/;
  const removeInProd = (kind: string, name: string, path: string) => (t: string) => {
    const patch = `  - target: {kind: ${kind}, name: ${name}}\n    patch: |-\n      - op: remove\n        path: ${path}\n`;
    return /^patches:\n/m.test(t) ? t.replace(/^patches:\n/m, `patches:\n${patch}`) : `${t}patches:\n${patch}`;
  };
  broken.push(["a tcp worker's cpu request deleted in an overlay", "deploy/kubernetes/overlays/prod/kustomization.yaml", removeInProd("Deployment", "pricing", "/spec/template/spec/containers/0/resources/requests/cpu"), unread]);
  broken.push(["a tcp worker's cpu request deleted in its base", "deploy/kubernetes/base/workers/pricing/deployment.yaml", (t) => t.replace(/^( +requests:\n) +cpu: .*\n/m, "$1"), /check\.sh: dev: a container's env reads a request or limit/]);
  if (transport === "uds") {
    // The sidecar's, in the orchestrator's pod.
    broken.push(["a sidecar's cpu request deleted in an overlay", "deploy/kubernetes/overlays/prod/kustomization.yaml", removeInProd("Deployment", "orchestrator", "/spec/template/spec/initContainers/0/resources/requests/cpu"), unread]);
  }
  if (ingress !== "http") {
    // KEDA's own CRD schema, vendored beside check.sh.
    broken.push(["a misspelt KEDA field", "deploy/kubernetes/base/orchestrator-keda.yaml", (t) => t.replace(/^spec:\n/m, "spec:\n  pollingIntervall: 5\n"), /ScaledObject orchestrator is invalid/]);
  }

  it.each(broken)("fails on %s", async (_, file, edit, message) => {
    const path = join(dir, file);
    const good = readFileSync(path, "utf8");
    const bad = edit(good);
    expect(bad, "the edit applies").not.toBe(good);
    writeFileSync(path, bad);
    try {
      const run = await runJob(script);
      expect(run.exitCode, run.all).not.toBe(0);
      expect(run.all).toMatch(message);
    } finally {
      writeFileSync(path, good);
    }
  }, 600_000);
});

/**
 * kubernetes-validate's strict schemas for VERSION, laid out as the schema
 * repository's VERSION-standalone-strict folder: its `$id`s (kubernetes.io
 * URLs) dropped and its references to the shared definitions made relative,
 * so kubeconform reads everything from the folder.
 */
function kubernetesSchemaMirror(version: string): string {
  const lib = join(pythonLinterDir("kubernetesValidate"), "..", "lib");
  const python = readdirSync(lib).find((d) => d.startsWith("python3"))!;
  const src = join(lib, python, "site-packages", "kubernetes_validate", "kubernetes-json-schema", `v${version}-local-strict`);
  const root = tempDir("chb-kube-schemas-");
  const out = join(root, `v${version}-standalone-strict`);
  mkdirSync(out);
  for (const f of readdirSync(src).filter((n) => n.endsWith(".json"))) {
    const schema = JSON.parse(readFileSync(join(src, f), "utf8").replaceAll('"/api/_definitions.json#', '"_definitions.json#')) as Record<string, unknown>;
    delete schema.$id;
    writeFileSync(join(out, f), JSON.stringify(schema));
  }
  return root;
}
