import { lstatSync, readdirSync } from "node:fs";
import { UsageError } from "../errors.js";

export type TargetState = "absent" | "empty" | "git-only";

/**
 * Decide whether a project may be created at dir without touching anything
 * the user has. A folder holding only `.git` counts as empty: people often
 * `git init` (or clone an empty remote) before scaffolding.
 */
export function inspectTarget(dir: string): TargetState {
  let stat;
  try {
    stat = lstatSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "absent";
    if (code === "ENOTDIR") throw new UsageError("directory", dir, "a folder on its path is a file; choose a new or empty folder");
    throw unreadable(dir, err);
  }
  if (!stat.isDirectory()) {
    throw new UsageError("directory", dir, "it exists and is not a folder; choose a new or empty folder");
  }
  let entries;
  try {
    entries = readdirSync(dir);
  } catch (err) {
    throw unreadable(dir, err);
  }
  if (entries.length === 0) return "empty";
  if (entries.length === 1 && entries[0] === ".git") return "git-only";
  throw new UsageError(
    "directory",
    dir,
    `it is not empty (${entries.length} entries: ${listed(entries)}); choose a new or empty folder`,
  );
}

/** A folder the system will not let us look into is the user's to fix (as one we may not write to). */
function unreadable(dir: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== "EACCES" && code !== "EPERM") return err;
  return new UsageError("directory", dir, `it cannot be read (${code}: you may not list it); choose a folder you can read and write`);
}

/** A few names, so a leftover (say a staging folder of a killed run) is recognisable. */
function listed(entries: string[]): string {
  const shown = entries.sort().slice(0, 3).join(", ");
  return entries.length > 3 ? `${shown}, ...` : shown;
}
