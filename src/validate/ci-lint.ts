import { existsSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../cache/dir.js";
import { touchEntry } from "../cache/entries.js";
import { track } from "./activity.js";
import { run, spawn } from "./exec.js";
import type { StepContext } from "./steps.js";
import { ensurePythonTool } from "./toolchains.js";

/** The linters validate runs over generated CI files, pinned like buf and moto. */
export const ACTIONLINT_VERSION = "1.7.12";
export const CHECK_JSONSCHEMA_VERSION = "0.39.0";

/**
 * actionlint for GitHub workflows; check-jsonschema with its vendored GitLab
 * CI schema for .gitlab-ci.yml. Each is installed once into the tool's cache
 * (go install / a virtualenv), only when the repo has that provider.
 */
export async function ciStep(ctx: StepContext): Promise<void> {
  const log = ctx.log("ci");
  const { providers } = ctx.manifest.ci;
  const opts = { cwd: ctx.dir, track: track(ctx, "ci") };
  const note = (msg: string) => ctx.activity.commandStarted("ci", msg, "");
  if (providers.includes("github") && existsSync(join(ctx.dir, ".github", "workflows", "ci.yml"))) {
    await run(log, await ensureActionlint(note), [".github/workflows/ci.yml"], opts);
  }
  if (providers.includes("gitlab") && existsSync(join(ctx.dir, ".gitlab-ci.yml"))) {
    await run(log, await ensurePythonTool(`check-jsonschema==${CHECK_JSONSCHEMA_VERSION}`, "check-jsonschema", note), ["--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"], opts);
  }
}

async function ensureActionlint(note: (msg: string) => void): Promise<string> {
  const bin = touchEntry(join(cacheDir(), `actionlint-${ACTIONLINT_VERSION}`));
  const exe = join(bin, "actionlint");
  if (existsSync(exe)) return exe;
  note(`go install actionlint@v${ACTIONLINT_VERSION} into ${bin} (once)`);
  await spawn("go", ["install", `github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION}`], {
    env: { GOBIN: bin, GOFLAGS: "-mod=mod" },
    stdin: "ignore",
  });
  return exe;
}
