import { execa } from "execa";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { parseManifest, type Manifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { DEV_TAG, UNPINNED_TAG } from "../../src/render/kubernetes.js";
import { NO_ACTIVITY } from "../../src/validate/activity.js";
import { deployStep } from "../../src/validate/deploy.js";
import { goDepsGate, type StepContext } from "../../src/validate/steps.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";
import { fencedBlocks } from "../helpers/doc-blocks.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * From what CI pushed to what prod runs. Each provider's publish job records
 * every image's digest in images.env, its lines run verbatim; skopeo stands in
 * for the registry (no registry here): it writes, as `--digestfile` does, the
 * sha256 of the archive it was given. Then the README's "Rolling out" step as
 * a reader runs it, its block's lines up to `kustomize edit set image`
 * verbatim with the real standalone kustomize (pinned in linters.ts, built by
 * the e2e setup) in a committed repo, reading that record from where the step
 * says to put it; kubectl builds prod, where every container, sidecars
 * included, must run its image at that commit and that digest, and validate's
 * deploy step (schemas, checkov) passes the pinned overlay. A record that
 * lacks an image, or is another commit's, stops the step with the overlay
 * untouched. A push that leaves no digest, or a garbled one, fails the
 * publish job in scripts/record-digest.sh, which both providers call, with
 * nothing recorded.
 */
const env = { ...process.env, ...E2E_ENV, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
const REGISTRY = "ghcr.io/acme/risk-api";
const OVERLAY = "deploy/kubernetes/overlays/prod/kustomization.yaml";

const FAKE_SKOPEO = `#!/usr/bin/env bash
set -euo pipefail
digestfile="" src=""
while [ $# -gt 0 ]; do
  case "$1" in
    --digestfile) digestfile=$2; shift ;;
    oci-archive:*) src=\${1#oci-archive:} ;;
  esac
  shift
done
# FAKE_DIGEST: what a failed or garbled push leaves instead ("missing": no file at all).
if [ -n "\${digestfile}" ] && [ -n "\${FAKE_DIGEST+x}" ]; then
  if [ "\${FAKE_DIGEST}" != missing ]; then printf '%s' "\${FAKE_DIGEST}" >"\${digestfile}"; fi
elif [ -n "\${digestfile}" ]; then printf 'sha256:%s' "$(sha256sum "\${src}" | cut -d' ' -f1)" >"\${digestfile}"; fi
`;

interface K8sObject {
  spec?: { template?: { spec: { containers: { name: string; image: string }[]; initContainers?: { name: string; image: string }[] } } };
}
interface GitHubStep {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

const run = (script: string, cwd: string, extra: Record<string, string> = {}) =>
  execa("bash", ["-eo", "pipefail", "-c", script], { cwd, env: { ...env, ...extra }, reject: false, all: true, stdin: "ignore", timeout: 60_000 });

describe.each([
  ["http", "tcp"],
  ["kinesis", "uds"],
] as const)("publish's digests to the README's deploy step, %s × %s", (ingress, transport) => {
  const root = tempDir("chb-deploy-pin-");
  const dir = join(root, "risk-api");
  const bin = join(root, "bin");
  const images = ["orchestrator", "scorer", "pricing"];
  let sha = "";
  let step = "";
  let m: Manifest;
  /** What the fake skopeo records for an image: the sha256 of its archive (see archive). */
  const digestOf = (name: string) => `sha256:${createHash("sha256").update(`${name} build`).digest("hex")}`;

  beforeAll(async () => {
    mkdirSync(dir);
    mkdirSync(bin);
    writeFileSync(join(bin, "skopeo"), FAKE_SKOPEO);
    chmodSync(join(bin, "skopeo"), 0o755);
    m = parseManifest({
      name: "risk-api",
      orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress, ...(ingress === "http" ? {} : { sink: "dynamodb" }) },
      workers: [{ name: "scorer", transport }, { name: "pricing", transport }],
      ci: { providers: ["github", "gitlab"] },
    });
    writeTree(dir, render(m));
    for (const args of [["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "generated"]]) await execa("git", args, { cwd: dir, env });
    sha = (await execa("git", ["rev-parse", "HEAD"], { cwd: dir, env })).stdout.trim();

    const readme = readFileSync(join(dir, "README.md"), "utf8");
    const block = fencedBlocks("README.md", readme).find((b) => b.info.includes("cluster") && b.text.includes("kustomize edit set image"))!;
    expect(block, "README has the deploy block").toBeDefined();
    const lines = block.text.split("\n");
    step = lines.slice(0, lines.findIndex((l) => l.startsWith("kustomize edit set image")) + 1).join("\n");
    expect(step).toMatch(/^cd deploy\/kubernetes\/overlays\/prod\n/);
  });

  /** The archive each images job hands publish: distinct bytes, so each image has its own digest. */
  const archive = (path: string, name: string) => writeFileSync(path, `${name} build`);

  interface Published {
    exitCode: number | undefined;
    all: string;
    record: string | null;
  }
  const fresh = (what: string) => join(root, `${what}-${Math.random().toString(36).slice(2)}`);
  /** The publish job's checkout: the record script alone (GitHub's sparse checkout), or the repo (GitLab's). */
  const workspace = (what: string) => {
    const ws = fresh(what);
    mkdirSync(join(ws, "scripts"), { recursive: true });
    copyFileSync(join(dir, "scripts/record-digest.sh"), join(ws, "scripts/record-digest.sh"));
    chmodSync(join(ws, "scripts/record-digest.sh"), statSync(join(dir, "scripts/record-digest.sh")).mode);
    return ws;
  };
  const readRecord = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : null);

  async function githubRecord(extra: Record<string, string> = {}): Promise<Published> {
    const temp = fresh("runner-temp");
    mkdirSync(join(temp, "images"), { recursive: true });
    for (const name of images) archive(join(temp, "images", `${name}.tar`), name);
    writeFileSync(join(temp, "output"), "");
    const job = (parse(readFileSync(join(dir, ".github/workflows/ci.yml"), "utf8")) as { jobs: Record<string, { env: Record<string, string>; steps: GitHubStep[] }> }).jobs.publish!;
    expect(job.env.REGISTRY).toBe(REGISTRY);
    const checkout = job.steps.find((s) => s.uses?.startsWith("actions/checkout@"))!;
    expect(checkout.with).toMatchObject({ "sparse-checkout": "scripts/record-digest.sh", "sparse-checkout-cone-mode": false });
    const ws = workspace("github");
    const pushes = job.steps.filter((s) => s.name?.startsWith("Push "));
    expect(pushes.map((s) => s.name)).toEqual(images.map((n) => `Push ${n}`));
    const outputs: string[] = [];
    for (const s of pushes) {
      const r = await run(s.run!, ws, { PATH: `${bin}:${E2E_ENV.PATH}`, RUNNER_TEMP: temp, GITHUB_OUTPUT: join(temp, "output"), GITHUB_SHA: sha, REGISTRY: job.env.REGISTRY!, ...extra });
      outputs.push(r.all);
      // Actions stops the job at a failed step.
      if (r.exitCode !== 0) return { exitCode: r.exitCode, all: outputs.join("\n"), record: readRecord(join(temp, "images.env")) };
    }
    // The attestations name the digests the record holds.
    expect(readFileSync(join(temp, "output"), "utf8")).toBe(images.map((n) => `digest=${digestOf(n)}\n`).join(""));
    const upload = job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;
    expect(upload.with).toMatchObject({ name: "images-${{ github.sha }}", path: "${{ runner.temp }}/images.env", "if-no-files-found": "error" });
    return { exitCode: 0, all: outputs.join("\n"), record: readRecord(join(temp, "images.env")) };
  }

  async function gitlabRecord(extra: Record<string, string> = {}): Promise<Published> {
    const work = workspace("gitlab");
    for (const name of images) archive(join(work, `image-${name}.tar`), name);
    const ci = parse(readFileSync(join(dir, ".gitlab-ci.yml"), "utf8")) as Record<string, { variables?: Record<string, string>; script?: string[]; artifacts?: { paths: string[] } }>;
    const publish = ci.publish!;
    expect(publish.artifacts?.paths).toEqual(["images.env"]);
    // Its pushes; the script's last line moves :latest, which the record does not name.
    const pushes = publish.script!.slice(0, -1);
    expect(pushes.join("\n")).not.toContain("latest");
    // GitLab runs each line in turn and stops the job at the first that fails (sh -e); busybox's sh in docker:cli, sh here.
    const r = await execa("sh", ["-e", "-c", pushes.join("\n")], { cwd: work, env: { ...env, PATH: `${bin}:${E2E_ENV.PATH}`, CI_COMMIT_SHA: sha, REGISTRY: ci[".registry"]!.variables!.REGISTRY!, ...extra }, reject: false, all: true, stdin: "ignore", timeout: 60_000 });
    return { exitCode: r.exitCode, all: r.all ?? "", record: readRecord(join(work, "images.env")) };
  }

  it("pins every prod image to the commit and the digest publish recorded, as the README runs it", async () => {
    const github = await githubRecord();
    expect(github.exitCode, github.all).toBe(0);
    const record = github.record!;
    expect(record).toBe(images.map((n) => `${n}=${REGISTRY}/${n}:${sha}@${digestOf(n)}\n`).join(""));
    const gitlab = await gitlabRecord();
    expect(gitlab.exitCode, gitlab.all).toBe(0);
    expect(gitlab.record, "both providers record alike").toBe(record);

    const home = join(root, "home");
    mkdirSync(home);
    writeFileSync(join(home, "images.env"), record);
    const pinned = await run(step, dir, { HOME: home });
    expect(pinned.exitCode, `${step}\n${pinned.all}`).toBe(0);

    const overlay = parse(readFileSync(join(dir, OVERLAY), "utf8")) as { images: { name: string; newTag: string; digest: string }[] };
    for (const i of overlay.images) expect([i.name, i.newTag, i.digest]).toEqual([i.name, sha, digestOf(i.name)]);

    const built = await execa("kubectl", ["kustomize", "deploy/kubernetes/overlays/prod"], { cwd: dir, env });
    const containers = parseAllDocuments(built.stdout)
      .map((d) => d.toJS() as K8sObject | null)
      .flatMap((o) => [...(o?.spec?.template?.spec.containers ?? []), ...(o?.spec?.template?.spec.initContainers ?? [])]);
    expect(containers.map((c) => c.name).sort()).toEqual([...images].sort());
    for (const c of containers) {
      expect(c.image, c.name).toBe(`${REGISTRY}/${c.name}:${sha}@${digestOf(c.name)}`);
      expect(c.image, c.name).not.toContain(UNPINNED_TAG);
      expect(c.image, c.name).not.toMatch(new RegExp(`:${DEV_TAG}$`));
    }

    // The pinned overlay as validate holds every overlay: strict schemas, KEDA's, checkov.
    const work = tempDir("chb-deploy-pin-work-");
    const ctx = { activity: NO_ACTIVITY, dir, manifest: m, work, buf: "", log: (s: string) => join(work, `${s}.log`), binaries: {}, toolVersions: [], note: () => {}, ...goDepsGate() } as StepContext;
    await deployStep(ctx);
  });

  it.each([
    ["left no digest file", "missing", /the push left no digest in .*orchestrator.*nothing recorded/],
    ["left an empty digest file", "", /the push left no digest in .*orchestrator.*nothing recorded/],
    ["left a truncated digest", "sha256:abc123", /orchestrator: .* holds 'sha256:abc123', not a digest \(sha256:\[0-9a-f\]\{64\}\); nothing recorded/],
    ["left a digest and more", `${digestOf("orchestrator")}\nsha256:${"1".repeat(64)}`, /orchestrator: .* holds 'sha256:[0-9a-f]{64}', not a digest/],
    ["left a garbled digest", `sha256:${"0".repeat(64)}\u001b[31m\nmore`, /holds 'sha256:0{64}\?\[31m', not a digest/],
  ])("fails the publish job, nothing recorded, when a push %s", async (_, digest, message) => {
    for (const [provider, publish] of [["github", githubRecord], ["gitlab", gitlabRecord]] as const) {
      const r = await publish({ FAKE_DIGEST: digest });
      expect(r.exitCode, `${provider}: ${r.all}`).not.toBe(0);
      expect(r.all, provider).toMatch(message);
      expect(r.record, `${provider}'s record`).toBeNull();
    }
  });

  it.each([
    ["lacks an image", (r: string) => r.split("\n").filter((l) => !l.startsWith("pricing=")).join("\n")],
    ["is another commit's", (r: string) => r.replaceAll(sha, "0".repeat(40))],
    ["has no digest", (r: string) => r.replace(/@sha256:[0-9a-f]+/, "")],
  ])("stops, the overlay untouched, when the record %s", async (_, spoil) => {
    await execa("git", ["checkout", "-q", "--", OVERLAY], { cwd: dir, env });
    const before = readFileSync(join(dir, OVERLAY), "utf8");
    const record = images.map((n) => `${n}=${REGISTRY}/${n}:${sha}@${digestOf(n)}`).join("\n") + "\n";
    const home = join(root, `home-${Math.random().toString(36).slice(2)}`);
    mkdirSync(home);
    writeFileSync(join(home, "images.env"), spoil(record));
    const r = await run(step, dir, { HOME: home });
    expect(r.exitCode, r.all).not.toBe(0);
    expect(readFileSync(join(dir, OVERLAY), "utf8")).toBe(before);
  });
});
