import { lstatSync, readFileSync, readlinkSync, type Stats } from "node:fs";
import { join } from "node:path";
import { CLEAN_PATH_RULE, pathFault } from "../clean-path.js";
import { UsageError } from "../errors.js";
import type { FileEntry } from "../render/index.js";

/**
 * What stands in the way of a generated file at path (repo-relative, "/"-
 * separated) under dir: a folder on the way that is a symbolic link (git
 * stores links, so a cloned repo may hold one pointing anywhere; following
 * it, sync would write outside the repository) or not a folder at all, or a
 * folder where the file goes. undefined when the path is clear (missing
 * folders are fine: they are made).
 */
export function obstacle(dir: string, path: string): UsageError | undefined {
  const fault = pathFault(path);
  if (fault) return new UsageError("path", path, `${fault}; sync writes only at ${CLEAN_PATH_RULE}; nothing was changed`);
  const parts = path.split("/");
  for (let depth = 1; depth <= parts.length; depth++) {
    const shown = parts.slice(0, depth).join("/");
    const stat = lstatOrUndefined(join(dir, ...parts.slice(0, depth)));
    if (!stat) return undefined;
    const last = depth === parts.length;
    if (!last && stat.isSymbolicLink()) return linkOnTheWay(dir, path, shown);
    if (!last && !stat.isDirectory()) {
      return new UsageError(shown, "a file", `${path} is generated under it, so it must be a folder: move the file away, then run the command again; nothing was changed`);
    }
    if (last && stat.isDirectory()) return notAFile(path, "a folder");
  }
  return undefined;
}

/**
 * What keeps sync from reading the generated file at path as the repo's:
 * a symbolic link among its folders or in the file's own place (what lies
 * there is outside the repo, or another file of it, so it is neither
 * "deleted" nor "current", and following it would read, and a merge would
 * write, through it), or something at the path that is not a file git
 * stores as a file (a folder, a pipe, a socket, a device). Every command
 * that compares the work tree refuses these rather than guess. A plain file
 * where a folder was means the files under it are gone, as if the folder
 * had been deleted, so that is not an obstacle to reading.
 */
export function readObstacle(dir: string, path: string): UsageError | undefined {
  // A path that is not clean (.., absolute, .git) leads outside what sync may read or delete.
  const fault = pathFault(path);
  if (fault) return new UsageError("path", path, `${fault}; sync reads and deletes only at ${CLEAN_PATH_RULE}; nothing was changed`);
  const parts = path.split("/");
  for (let depth = 1; depth <= parts.length; depth++) {
    const shown = parts.slice(0, depth).join("/");
    const stat = lstatOrUndefined(join(dir, ...parts.slice(0, depth)));
    if (!stat) return undefined;
    if (depth < parts.length) {
      if (stat.isSymbolicLink()) return linkOnTheWay(dir, path, shown);
      if (!stat.isDirectory()) return undefined;
    } else if (stat.isSymbolicLink()) {
      return linkInPlace(dir, path);
    } else if (!stat.isFile()) {
      return notAFile(path, kindOf(stat));
    }
  }
  return undefined;
}

/**
 * What is on disk at a repo-relative path, or undefined if nothing is.
 * Throws (exit 2) when the way there passes through a symbolic link, or a
 * link or anything else but a file stands there (readObstacle): reading
 * "nothing" then would report the file as deleted, or as current, when it
 * is only elsewhere.
 */
export function readEntry(dir: string, path: string): FileEntry | undefined {
  const blocked = readObstacle(dir, path);
  if (blocked) throw blocked;
  const file = join(dir, ...path.split("/"));
  try {
    const stat = lstatSync(file);
    // Replaced by a link or a pipe since readObstacle looked: refused as it would have been.
    if (!stat.isFile()) throw readObstacle(dir, path) ?? new Error(`${path} changed while sync read it`);
    return { content: readFileSync(file), mode: stat.mode & 0o111 ? 0o755 : 0o644 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw err;
  }
}

function linkOnTheWay(dir: string, path: string, shown: string): UsageError {
  return new UsageError(
    `${shown} (a symbolic link)`,
    readlinkSync(join(dir, ...shown.split("/"))),
    `sync writes only inside the repository and reads only what is in it, and ${path} is generated under ${shown}: make ${shown} a real folder (move what it links to into its place), then run the command again; nothing was changed`,
  );
}

function linkInPlace(dir: string, path: string): UsageError {
  return new UsageError(
    `${path} (a symbolic link)`,
    readlinkSync(join(dir, ...path.split("/"))),
    `it is a generated file, which sync reads and writes only as a file in the repository: put the file itself in the link's place (or delete the link; sync --force brings the file back), then run the command again; nothing was changed`,
  );
}

function notAFile(path: string, kind: string): UsageError {
  return new UsageError(path, kind, `it is a generated file, which sync reads and writes only as a file: move that away, then run the command again; nothing was changed`);
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return "a folder";
  if (stat.isFIFO()) return "a named pipe";
  if (stat.isSocket()) return "a socket";
  if (stat.isBlockDevice() || stat.isCharacterDevice()) return "a device";
  return "not a file";
}

function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}
