import { execa } from "execa";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { ciStep } from "../../src/validate/ci-lint.js";
import { LINTERS } from "../../src/validate/linters.js";
import { NO_ACTIVITY } from "../../src/validate/activity.js";
import type { StepContext } from "../../src/validate/steps.js";
import { runCli, tempDir } from "../helpers/cli.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * Every preset's CI files, Dockerfiles and cargo-deny policy, linted the way
 * their own pipelines would read them, without building anything: validate's
 * ci step (actionlint, the GitLab CI schema), hadolint, ShellCheck, and cargo-deny's
 * offline-capable checks (licenses, bans, sources; advisories need the
 * RustSec database and run in the generated CI's audit job).
 */
const presets: [string, string[], string[]][] = [
  ["http stdlib", [], []],
  ["http chi, two workers", ["--router", "chi"], ["pricing"]],
  ["sqs + dynamodb", ["--ingress", "sqs"], []],
  ["kinesis, two workers", ["--ingress", "kinesis"], ["fraud"]],
];

const tool = (cmd: string, args: string[], cwd: string) =>
  execa(cmd, args, { cwd, env: E2E_ENV, reject: false, stdin: "ignore", all: true });

describe.each(presets)("CI files of %s", (_, flags, extraWorkers) => {
  const dir = join(tempDir("chb-e2e-ci-"), "app");

  it("is generated with both providers", async () => {
    const created = await runCli([dir, "--yes", "--no-validate", "--no-git", "--ci", "github,gitlab", ...flags], process.cwd(), E2E_ENV);
    expect(created.exitCode, created.stderr).toBe(0);
    for (const w of extraWorkers) {
      const add = await runCli(["add", "worker", w], dir, E2E_ENV);
      expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    }
  });

  it("passes validate's ci step: actionlint and the GitLab CI schema", async () => {
    const work = join(dir, ".lint");
    mkdirSync(work, { recursive: true });
    const manifest = parseManifest(JSON.parse(readFileSync(join(dir, "hybrid-backend.json"), "utf8")));
    const ctx = { activity: NO_ACTIVITY, dir, manifest, work, buf: "", log: (step: string) => join(work, `${step}.log`), binaries: {}, toolVersions: [] } as unknown as StepContext;
    await expect(ciStep(ctx)).resolves.toBeUndefined();
  });

  it("has shell scripts ShellCheck accepts, each read as it runs (sourced files followed)", async () => {
    const scripts = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".sh") && !f.startsWith(".lint")).sort();
    expect(scripts).toEqual(expect.arrayContaining(["scripts/lib.sh", "scripts/pinning.sh", "scripts/run.sh"]));
    const version = await tool("shellcheck", ["--version"], dir);
    expect(version.stdout).toContain(`version: ${LINTERS.shellcheck.version.split(".").slice(0, 3).join(".")}`);
    const lint = await tool("shellcheck", ["--external-sources", "--severity=style", ...scripts], dir);
    expect(lint.exitCode, lint.all).toBe(0);
  });

  it("has Dockerfiles hadolint accepts, every base pinned by digest", async () => {
    const dockerfiles = ["orchestrator/Dockerfile", ...["scorer", ...extraWorkers].map((w) => `workers/${w}/Dockerfile`)];
    const lint = await tool("hadolint", dockerfiles, dir);
    expect(lint.exitCode, lint.all).toBe(0);
    for (const f of dockerfiles) {
      // A FROM naming an earlier stage builds on that stage; every other one is a base image.
      const stages = new Set<string>();
      for (const from of readFileSync(join(dir, f), "utf8").matchAll(/^FROM (\S+)(?: AS (\S+))?/gm)) {
        if (!stages.has(from[1]!)) expect(from[1], f).toMatch(/:[\w.-]+@sha256:[0-9a-f]{64}$/);
        if (from[2]) stages.add(from[2]);
      }
    }
  });

  it("has a deny.toml cargo-deny accepts for the locked graph (licenses, bans, sources)", async () => {
    // The linter is the version the generated audit job pins (.ci/run installs it).
    const manifest = JSON.parse(readFileSync(join(dir, "hybrid-backend.json"), "utf8"));
    expect((await tool("cargo-deny", ["--version"], dir)).stdout.trim()).toBe(`cargo-deny ${manifest.toolchains.cargoDeny}`);
    const deny = await tool("cargo-deny", ["--locked", "check", "licenses", "bans", "sources"], join(dir, "workers"));
    expect(deny.exitCode, deny.all).toBe(0);
  });
});
