import { execa } from "execa";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { CI_FILES } from "../../src/render/ci-jobs.js";
import { render } from "../../src/render/index.js";
import { tempDir } from "../helpers/cli.js";

/**
 * The proto job's "generated code is fresh" check, run for real: the commands
 * from `buf generate` to the check, cut out of each rendered CI file, in a
 * git repo where a stub `buf` on PATH plays the generator. A stub for a new
 * .proto is an untracked file, which `git diff --exit-code` does not see.
 */
const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" }, ci: { providers: ["github", "gitlab"] } }));
const text = (path: string) => tree.get(path)!.content.toString("utf8");
const GEN = /^\s+out:\s*(\S+)/m.exec(text("buf.gen.yaml"))![1]!;
const TRACKED = `${GEN}/scoring/v1/scoring.pb.go`;

type Steps = { run?: string }[];
/** Each provider's commands from `buf generate` through the stale check, as the runner's shell gets them. */
const providers: { name: string; scripts: () => string[]; shell: string[] }[] = [
  {
    name: "github",
    scripts: () => {
      const steps = (parse(text(CI_FILES.github)) as { jobs: Record<string, { steps: Steps }> }).jobs.proto!.steps.map((s) => s.run ?? "");
      const from = steps.findIndex((r) => r.includes("buf generate"));
      const to = steps.findIndex((r) => r.includes("is stale"));
      return steps.slice(from, to + 1);
    },
    // How Actions runs each `run:` step.
    shell: ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"],
  },
  {
    name: "gitlab",
    scripts: () => {
      const script = (parse(text(CI_FILES.gitlab)) as Record<string, { script: string[] }>).proto!.script;
      const from = script.findIndex((r) => r.includes("buf generate"));
      const to = script.findIndex((r) => r.includes("is stale"));
      // GitLab runs a job's script lines in one shell that stops at the first failure.
      return [script.slice(from, to + 1).join("\n")];
    },
    shell: ["bash", "-e", "-c"],
  },
];

/** A repo with one committed stub, and a `buf` whose generate writes `writes` (path -> content). */
async function repo(writes: Record<string, string>): Promise<{ cwd: string; env: NodeJS.ProcessEnv }> {
  const cwd = tempDir("gen-fresh-");
  const bin = join(cwd, ".bin");
  mkdirSync(dirname(join(cwd, TRACKED)), { recursive: true });
  writeFileSync(join(cwd, TRACKED), "package scoringv1\n");
  const git = (...args: string[]) => execa("git", args, { cwd });
  await git("init", "-q");
  await git("add", TRACKED);
  await git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "stubs");
  mkdirSync(bin);
  const lines = Object.entries(writes).map(([path, body]) => `mkdir -p "$(dirname '${path}')" && printf '%s' '${body}' > '${path}'`);
  writeFileSync(join(bin, "buf"), `#!/bin/sh\n[ "$1" = generate ] || exit 0\n${lines.join("\n")}\n`);
  chmodSync(join(bin, "buf"), 0o755);
  return { cwd, env: { PATH: `${bin}:${process.env.PATH}` } };
}

async function check(provider: (typeof providers)[number], writes: Record<string, string>): Promise<number> {
  const { cwd, env } = await repo(writes);
  for (const script of provider.scripts()) {
    const [cmd, ...args] = provider.shell;
    const r = await execa(cmd!, [...args, script], { cwd, env, reject: false });
    if (r.exitCode !== 0) return r.exitCode ?? 1;
  }
  return 0;
}

describe.each(providers)("$name: generated code is fresh", (provider) => {
  it("passes when buf generate reproduces the committed stubs", async () => {
    expect(await check(provider, { [TRACKED]: "package scoringv1\n" })).toBe(0);
  });

  it("fails when buf generate changes a committed stub", async () => {
    expect(await check(provider, { [TRACKED]: "package scoringv1 // changed\n" })).not.toBe(0);
  });

  // The case git diff --exit-code missed: a new .proto's stubs were never committed.
  it("fails when buf generate writes a stub that is not committed", async () => {
    expect(await check(provider, { [TRACKED]: "package scoringv1\n", [`${GEN}/scoring/v2/scoring.pb.go`]: "package scoringv2\n" })).not.toBe(0);
  });
});

it("no CI check compares generated files with git diff, which ignores untracked ones", () => {
  for (const path of Object.values(CI_FILES)) expect(text(path)).not.toMatch(/git diff (--exit-code|--quiet)/);
});
