import { existsSync } from "node:fs";
import { join } from "node:path";
import { track } from "./activity.js";
import { run } from "./exec.js";
import { ensureGoLinter, ensurePythonLinter } from "./linters.js";
import type { StepContext } from "./steps.js";

/**
 * actionlint for GitHub workflows; check-jsonschema with its vendored GitLab
 * CI schema for .gitlab-ci.yml. Each is pinned in linters.ts and installed
 * once into the tool's cache, only when the repo has that provider.
 */
export async function ciStep(ctx: StepContext): Promise<void> {
  const log = ctx.log("ci");
  const { providers } = ctx.manifest.ci;
  const opts = { cwd: ctx.dir, track: track(ctx, "ci") };
  const note = (msg: string) => ctx.activity.commandStarted("ci", msg, "");
  if (providers.includes("github") && existsSync(join(ctx.dir, ".github", "workflows", "ci.yml"))) {
    await run(log, await ensureGoLinter("actionlint", note), [".github/workflows/ci.yml"], opts);
  }
  if (providers.includes("gitlab") && existsSync(join(ctx.dir, ".gitlab-ci.yml"))) {
    await run(log, await ensurePythonLinter("checkJsonschema", note), ["--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"], opts);
  }
}
