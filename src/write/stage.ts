import { chmodSync, lstatSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { FileEntry } from "../render/index.js";
import { UsageError } from "../errors.js";
import { makeDirs } from "../make-dirs.js";
import { obstacle } from "./repo-path.js";
import { asideName, stagedName } from "./temp-names.js";

/**
 * Phase 1 of applySync: everything that can fail, done where it can be
 * undone. Each new file is written to a temp file beside its place, each
 * file to remove is renamed to a temp name beside it (that rename needs
 * the same permission on its folder as deleting it, so a delete that would
 * fail fails here); on any failure all of that is undone and nothing has
 * changed. Phase 2 (renames into place, deleting the set-aside files) then
 * only does what phase 1 proved it may.
 */
export interface Staged {
  /** Temp file → its place, in the order they are to be renamed. */
  files: { temp: string; file: string }[];
  /** Files set aside for removal: path (repo-relative) and where it now is. */
  aside: { path: string; temp: string }[];
  /** Puts the set-aside files back, removes the temp files and the folders made for them. */
  undo(): void;
}

/** What usually stops each, for the error line. */
const FIX = {
  write: "fix that (permissions, a read-only or full disk)",
  remove: "fix that (its folder must be writable, on a disk that is not read-only)",
};

/**
 * The first thing in the way of writing `writes` and removing `removals` (obstacle,
 * per path, as stage checks each before its step), for a dry run to refuse what
 * the real run would, with the same error.
 */
export function firstObstacle(dir: string, writes: string[], removals: string[]): UsageError | undefined {
  for (const path of [...writes, ...removals]) {
    const blocked = obstacle(dir, path);
    if (blocked) return blocked;
  }
  return undefined;
}

export function stage(dir: string, writes: { path: string; entry: FileEntry }[], removals: string[]): Staged {
  const files: Staged["files"] = [];
  const aside: Staged["aside"] = [];
  const made: string[] = [];
  const undo = () => {
    // Each step on its own: one that fails must not keep the others from being undone.
    for (const { path, temp } of [...aside].reverse()) attempt(() => renameSync(temp, join(dir, ...path.split("/"))));
    for (const { temp } of files) attempt(() => rmSync(temp, { force: true }));
    for (const folder of [...made].reverse()) attempt(() => rmSync(folder, { recursive: true, force: true }));
  };
  const step = (path: string, doing: keyof typeof FIX, work: () => void) => {
    try {
      const blocked = obstacle(dir, path);
      if (blocked) throw blocked;
      work();
    } catch (err) {
      undo();
      if (err instanceof UsageError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? "an error";
      throw new UsageError(path, code, `sync could not ${doing} it, so it changed nothing: ${FIX[doing]}, then run the command again`);
    }
  };
  for (const { path, entry } of writes) {
    step(path, "write", () => {
      const file = join(dir, ...path.split("/"));
      const first = makeDirs(dirname(file));
      if (first) made.push(first);
      const temp = stagedName(file);
      files.push({ temp, file });
      writeFileSync(temp, entry.content, { mode: entry.mode });
      chmodSync(temp, entry.mode);
    });
  }
  for (const path of removals) {
    step(path, "remove", () => {
      const file = join(dir, ...path.split("/"));
      if (!exists(file)) return; // gone since it was read: nothing to remove
      const temp = asideName(file);
      renameSync(file, temp);
      aside.push({ path, temp });
    });
  }
  return { files, aside, undo };
}

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

function attempt(work: () => void): void {
  try {
    work();
  } catch {
    // best effort: the rest of the undo still runs
  }
}
