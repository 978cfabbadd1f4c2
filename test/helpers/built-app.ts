import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { runCli } from "./cli.js";
import { tempDir } from "./temp-dirs.js";

/**
 * For the tests that change a generated repo through the built CLI, as a
 * team runs it: a default project made by `create` (with its initial
 * commit) at PARENT/app, in a temp folder of its own.
 */
export async function builtApp(prefix: string): Promise<{ parent: string; dir: string }> {
  const parent = tempDir(prefix);
  const created = await runCli(["app", "--yes", "--no-validate"], parent);
  expect(created.exitCode, created.stderr).toBe(0);
  return { parent, dir: join(parent, "app") };
}

/** git in dir; its stdout. */
export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8" });
}

/** Everything git sees changed in dir, untracked files included (ignored ones too: a temp file must not hide). */
export function changesIn(dir: string): string {
  return gitIn(dir, "status", "--porcelain", "--ignored", "--untracked-files=all");
}
