import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { FileTree } from "../render/index.js";
import { hasGit, initialCommit } from "./git.js";
import { inspectTarget } from "./target.js";

export interface CreateOptions {
  /** Initial commit message; undefined skips git entirely. */
  commitMessage?: string;
}

export interface CreateResult {
  dir: string;
  files: number;
  committed: boolean;
}

/**
 * The only code that writes a new project. Files are staged in a hidden
 * folder beside the target and moved into place with rename(2), so an error
 * or Ctrl-C part-way leaves either nothing or the whole project.
 */
export async function createProject(
  target: string,
  tree: FileTree,
  options: CreateOptions = {},
): Promise<CreateResult> {
  const dir = resolve(target);
  const state = inspectTarget(dir);
  mkdirSync(dirname(dir), { recursive: true });
  const staging = join(dirname(dir), `.${basename(dir)}.staging-${process.pid}-${Date.now()}`);
  const cleanup = () => rmSync(staging, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    writeTree(staging, tree);
    // A folder that already has .git belongs to the user's own repo: leave
    // committing to them rather than writing into their history.
    const commit = options.commitMessage !== undefined && state !== "git-only" && (await hasGit());
    if (commit) await initialCommit(staging, options.commitMessage!);
    moveIntoPlace(staging, dir, state);
    return { dir, files: tree.size, committed: commit };
  } catch (err) {
    cleanup();
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function writeTree(root: string, tree: FileTree): void {
  for (const [path, entry] of tree) {
    const file = join(root, ...path.split("/"));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, entry.content, { mode: entry.mode });
    chmodSync(file, entry.mode);
  }
}

function moveIntoPlace(staging: string, dir: string, state: ReturnType<typeof inspectTarget>) {
  if (state === "absent") {
    renameSync(staging, dir);
    return;
  }
  if (state === "empty") {
    rmdirSync(dir);
    renameSync(staging, dir);
    return;
  }
  // Only .git is there: move each staged top-level entry in beside it.
  for (const name of readdirSync(staging)) renameSync(join(staging, name), join(dir, name));
  rmdirSync(staging);
}
