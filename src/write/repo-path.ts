import { lstatSync, readlinkSync, type Stats } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";

/**
 * What stands in the way of a generated file at path (repo-relative, "/"-
 * separated) under dir: a folder on the way that is a symbolic link (git
 * stores links, so a cloned repo may hold one pointing anywhere; following
 * it, sync would write outside the repository) or not a folder at all, or a
 * folder where the file goes. undefined when the path is clear (missing
 * folders are fine: they are made).
 */
export function obstacle(dir: string, path: string): UsageError | undefined {
  const parts = path.split("/");
  for (let depth = 1; depth <= parts.length; depth++) {
    const shown = parts.slice(0, depth).join("/");
    const stat = lstatOrUndefined(join(dir, ...parts.slice(0, depth)));
    if (!stat) return undefined;
    const last = depth === parts.length;
    if (!last && stat.isSymbolicLink()) {
      return new UsageError(
        `${shown} (a symbolic link)`,
        readlinkSync(join(dir, ...parts.slice(0, depth))),
        `sync writes only inside the repository, and ${path} is generated under ${shown}: make ${shown} a real folder, then run sync again; nothing was changed`,
      );
    }
    if (!last && !stat.isDirectory()) {
      return new UsageError(shown, "a file", `${path} is generated under it, so it must be a folder: move the file away, then run sync again; nothing was changed`);
    }
    if (last && stat.isDirectory()) {
      return new UsageError(shown, "a folder", `sync writes the generated file ${path} there: move the folder away, then run sync again; nothing was changed`);
    }
  }
  return undefined;
}

/** Whether every folder on the way to path under dir is a real folder inside dir (what sync may read as the repo's). */
export function insideRepo(dir: string, path: string): boolean {
  const parts = path.split("/");
  for (let depth = 1; depth < parts.length; depth++) {
    const stat = lstatOrUndefined(join(dir, ...parts.slice(0, depth)));
    if (!stat) return true;
    if (!stat.isDirectory()) return false;
  }
  return true;
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
