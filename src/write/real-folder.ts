import { lstatSync } from "node:fs";
import { join } from "node:path";

/**
 * Whether folder (repo-relative, "" for dir itself) is a real folder all the
 * way down from dir. Code that removes files checks it first, so it never
 * reaches through a symbolic link into something that is not the repo's.
 */
export function realFolder(dir: string, folder: string): boolean {
  const parts = folder ? folder.split("/") : [];
  for (let depth = 1; depth <= parts.length; depth++) {
    try {
      if (!lstatSync(join(dir, ...parts.slice(0, depth))).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}
