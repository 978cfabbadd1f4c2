import { accessSync, constants, lstatSync, readdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
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
    `it is not empty (${entries.length} ${entries.length === 1 ? "entry" : "entries"}: ${listed(entries)}); choose a new or empty folder`,
  );
}

/**
 * inspectTarget, then whether we may write where create will: the folder
 * itself, or the nearest existing one above it. Run before the prompts and
 * before rendering, so nobody answers questions for a folder that will
 * refuse; access() is advisory (ACLs, root), so the writes map the real
 * refusal too (createProject).
 */
export function preflightTarget(dir: string): TargetState {
  const state = inspectTarget(dir);
  let at = dir;
  while (state === "absent" && !exists(at) && dirname(at) !== at) at = dirname(at);
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    // Anything else (EPERM from /proc and /sys, where mkdir says more) is for mkdir itself to report.
    if (code === "EACCES" || code === "EROFS") throw refusedTarget(dir, at, code);
  }
  return state;
}

/** The one wording of "the system will not let us write there", at the target itself or a parent. */
export function refusedTarget(dir: string, at: string, code: string): UsageError {
  if (at !== dir) return new UsageError("directory", dir, `it cannot be created (at ${at}): ${code}; choose a folder you can write to`);
  const why = code === "EROFS" ? "it is on a read-only file system" : "you may not write to it";
  return new UsageError("directory", dir, `files cannot be created in it (${code}: ${why}); choose a folder you can write to`);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
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
