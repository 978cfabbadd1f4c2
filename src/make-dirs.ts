import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * `mkdir -p`: creates path and its missing parents, one level at a time,
 * and returns the first folder it created (undefined when path existed),
 * which is what a caller removes to undo it. Throws mkdir's own error for
 * the level that failed.
 *
 * Why not `mkdirSync(path, { recursive: true })`: Node's retries a level
 * whose mkdir answers ENOENT after creating its parent, and a parent that
 * exists but refuses children that way (anything under /proc) makes it
 * spin at a full core forever. Every path a user names (a target folder,
 * XDG_CACHE_HOME) goes through here instead.
 */
export function makeDirs(path: string): string | undefined {
  const missing: string[] = [];
  for (let dir = resolve(path); !exists(dir); dir = dirname(dir)) {
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  let first: string | undefined;
  for (const dir of missing) {
    try {
      mkdirSync(dir);
      first ??= dir;
    } catch (err) {
      // Made meanwhile by someone else: theirs, so not ours to remove.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(dir).isDirectory()) throw err;
    }
  }
  return first;
}

/** Whether anything (a folder, a file, a dangling link) is at dir: mkdir decides the rest. */
function exists(dir: string): boolean {
  try {
    statSync(dir);
    return true;
  } catch {
    return false;
  }
}
