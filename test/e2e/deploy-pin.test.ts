import { execa } from "execa";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { DEV_TAG, UNPINNED_TAG } from "../../src/render/kubernetes.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";
import { fencedBlocks } from "../helpers/doc-blocks.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * The README's "Rolling out" step as a reader runs it: its block's lines up
 * to `kustomize edit set image`, verbatim, with the real standalone kustomize
 * (pinned in linters.ts, built from the Go module proxy into the tool's cache
 * by the e2e setup) in a committed repo; then kubectl builds prod, where every
 * container, sidecars included, must run its image at that commit.
 */
const env = { ...process.env, ...E2E_ENV, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };

interface K8sObject {
  spec?: { template?: { spec: { containers: { name: string; image: string }[]; initContainers?: { name: string; image: string }[] } } };
}

describe.each([
  ["http", "tcp"],
  ["kinesis", "uds"],
] as const)("the README's deploy step, %s × %s", (ingress, transport) => {
  it("pins every prod image to the commit with the real kustomize, as the README runs it", async () => {
    const dir = join(tempDir("chb-deploy-pin-"), "risk-api");
    mkdirSync(dir);
    const m = parseManifest({
      name: "risk-api",
      orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress, ...(ingress === "http" ? {} : { sink: "dynamodb" }) },
      workers: [{ name: "scorer", transport }, { name: "pricing", transport }],
    });
    writeTree(dir, render(m));
    for (const args of [["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "generated"]]) await execa("git", args, { cwd: dir, env });
    const sha = (await execa("git", ["rev-parse", "HEAD"], { cwd: dir, env })).stdout.trim();

    const readme = readFileSync(join(dir, "README.md"), "utf8");
    const block = fencedBlocks("README.md", readme).find((b) => b.info.includes("cluster") && b.text.includes("kustomize edit set image"))!;
    expect(block, "README has the deploy block").toBeDefined();
    const lines = block.text.split("\n");
    const step = lines.slice(0, lines.findIndex((l) => l.startsWith("kustomize edit set image")) + 1).join("\n");
    expect(step).toMatch(/^cd deploy\/kubernetes\/overlays\/prod\n/);

    const run = await execa("bash", ["-eo", "pipefail", "-c", step], { cwd: dir, env, reject: false, all: true, stdin: "ignore", timeout: 60_000 });
    expect(run.exitCode, `${step}\n${run.all}`).toBe(0);

    const overlay = parse(readFileSync(join(dir, "deploy/kubernetes/overlays/prod/kustomization.yaml"), "utf8")) as { images: { name: string; newName: string; newTag: string }[] };
    expect(overlay.images.map((i) => i.newTag)).toEqual(overlay.images.map(() => sha));

    const built = await execa("kubectl", ["kustomize", "deploy/kubernetes/overlays/prod"], { cwd: dir, env });
    const containers = parseAllDocuments(built.stdout)
      .map((d) => d.toJS() as K8sObject | null)
      .flatMap((o) => [...(o?.spec?.template?.spec.containers ?? []), ...(o?.spec?.template?.spec.initContainers ?? [])]);
    expect(containers.map((c) => c.name).sort()).toEqual(["orchestrator", "pricing", "scorer"]);
    for (const c of containers) {
      expect(c.image, c.name).toBe(`ghcr.io/acme/risk-api/${c.name}:${sha}`);
      expect(c.image, c.name).not.toContain(UNPINNED_TAG);
      expect(c.image, c.name).not.toMatch(new RegExp(`:${DEV_TAG}$`));
    }
  });
});
