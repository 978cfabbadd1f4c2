import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import type { FileEntry } from "../render/index.js";
import type { FileAction } from "./plan.js";
import { makeDirs } from "../make-dirs.js";

/**
 * The unified diff sync would apply, for --dry-run: the before and after
 * copies go to a scratch folder and `git diff --no-index` compares them, so
 * the output reads like any other git diff, one `git apply` takes as it is:
 * each copy keeps its file's mode (a script's 100755, which the diff would
 * otherwise report as changing to 100644), and the header of a file only one
 * side has names it `a/PATH b/PATH` as git's own diffs do (`--no-index` names
 * both sides after the one folder that has it).
 */
export async function describeChanges(actions: FileAction[], before: (path: string) => FileEntry | undefined): Promise<string> {
  const changing = actions.filter((a) => a.write || a.remove);
  if (changing.length === 0) return "";
  const root = mkdtempSync(join(tmpdir(), "hybrid-backend-diff-"));
  try {
    for (const action of changing) {
      const old = before(action.path);
      if (old) put(join(root, "a"), action.path, old);
      if (action.write) put(join(root, "b"), action.path, action.write);
    }
    makeDirs(join(root, "a"));
    makeDirs(join(root, "b"));
    const result = await execa("git", ["diff", "--no-index", "--no-color", "--no-prefix", "a", "b"], { cwd: root, reject: false });
    if ((result.exitCode ?? 2) > 1) throw new Error(`git diff failed: ${result.stderr}`);
    return result.stdout.replace(/^diff --git [ab]\/(.+) [ab]\/\1$/gm, "diff --git a/$1 b/$1");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function put(root: string, path: string, entry: FileEntry) {
  const file = join(root, ...path.split("/"));
  makeDirs(dirname(file));
  writeFileSync(file, entry.content);
  chmodSync(file, entry.mode);
}
