import { readdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Removes folder (repo-relative, "/"-separated) if it is empty, then each
 * parent it leaves empty, up to but never the repo root: what a removed
 * file leaves behind. Stops at the first folder that holds anything or
 * cannot be removed (its parent not writable: the folder stays, harmless).
 */
export function removeEmptyFolders(dir: string, folder: string): void {
  const parts = folder === "" ? [] : folder.split("/");
  while (parts.length > 0) {
    const path = join(dir, ...parts);
    try {
      if (readdirSync(path).length > 0) return;
      rmdirSync(path);
    } catch {
      return;
    }
    parts.pop();
  }
}
