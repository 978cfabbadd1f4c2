/**
 * A conflict is state, not an event: once sync leaves one, every later sync
 * and `sync --check` report it (exit 3) until the user has resolved it, so CI
 * cannot turn green over <<<<<<< markers. Resolved means: no marker line sync
 * wrote is left in the file, and the new render written beside a file that
 * could not be merged (FILE.generated) has been deleted.
 */
import type { LedgerEntry } from "./ledger.js";

/** How a conflict was left: markers in the file, or the new render beside it. */
export type ConflictKind = "markers" | "beside";

/** A file a sync left in conflict, and whether the new render went beside it (FILE.generated) rather than into markers. */
export interface SyncConflict {
  path: string;
  beside: boolean;
}

/** Where the new render goes when a file cannot be merged line by line (e.g. binary). */
export function besidePath(path: string): string {
  return `${path}.generated`;
}

/** The labels `git merge-file` writes into markers; the conflict check looks for them. */
export const LABELS = {
  ours: (path: string) => `${path} (yours)`,
  base: (path: string) => `${path} (last generated)`,
  theirs: (path: string) => `${path} (newly generated)`,
};

/**
 * Whether the file still holds a marker line sync wrote for this path (in any
 * line-ending style). content is the file's stored form (what git would
 * commit): sync merged and wrote the markers in that form, and the working
 * bytes may be in another encoding (working-tree-encoding=UTF-16) where no
 * UTF-8 marker line can be found.
 */
export function hasMarkers(content: Buffer, path: string): boolean {
  const text = content.toString("utf8");
  return text.split("\n").some((line) => {
    const bare = line.endsWith("\r") ? line.slice(0, -1) : line;
    return bare === `<<<<<<< ${LABELS.ours(path)}` || bare === `>>>>>>> ${LABELS.theirs(path)}`;
  });
}

export interface ConflictProbe {
  /** The file's stored form (what git would commit, see plan.storedForm), or undefined when it is gone. */
  stored: Buffer | undefined;
  /** Whether FILE.generated exists. */
  besideExists: boolean;
}

/**
 * Is this file still in conflict? Markers count even without a record (a
 * ledger written before conflicts were recorded); a deleted file is no
 * longer in conflict (the user chose to drop it).
 */
export function conflictOpen(path: string, record: LedgerEntry | undefined, probe: ConflictProbe): ConflictKind | undefined {
  if (probe.stored === undefined) return undefined;
  if (record?.conflict === "beside" && probe.besideExists) return "beside";
  if (hasMarkers(probe.stored, path)) return "markers";
  return undefined;
}
