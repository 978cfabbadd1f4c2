import type { FileEntry, FileTree } from "../render/index.js";
import { blobId, type Ledger } from "./ledger.js";

/**
 * Decides, per file, what sync does. No disk and no git in here: the caller
 * passes what is on disk, a way to fetch merge bases and a merge function, so
 * every rule can be tested in memory and dry-run shares the exact decisions.
 */

export type Status =
  | "unchanged" // nothing to write: already current, or only the user changed it
  | "updated" // untouched by the user: replaced with the new render
  | "added" // newly generated
  | "merged" // user edit and template change merged cleanly
  | "conflict" // both changed the same lines: markers written
  | "kept-deleted" // the user deleted it; left deleted
  | "restored" // the user deleted it; brought back by --force
  | "removed" // no longer generated and never edited: deleted
  | "kept"; // no longer generated but edited by the user: left in place, untracked

export interface FileAction {
  path: string;
  status: Status;
  /** Content and mode to write, when the file changes on disk. */
  write?: FileEntry;
  remove?: boolean;
  /** Whether the merge base could not be found (so the whole file conflicted). */
  baseMissing?: boolean;
}

export interface MergeResult {
  content: Buffer;
  conflicts: number;
}

export interface PlanInput {
  next: FileTree;
  ledger: Ledger;
  disk: (path: string) => FileEntry | undefined;
  base: (blob: string) => Buffer | undefined;
  merge: (ours: Buffer, base: Buffer, theirs: Buffer, path: string) => Promise<MergeResult>;
  force?: boolean;
}

export async function planSync(input: PlanInput): Promise<FileAction[]> {
  const { next, ledger } = input;
  const paths = [...new Set([...next.keys(), ...Object.keys(ledger.files)])].sort();
  const actions: FileAction[] = [];
  for (const path of paths) {
    const theirs = next.get(path);
    const action = theirs ? await planGenerated(path, theirs, input) : planDropped(path, input);
    if (action) actions.push(action);
  }
  return actions;
}

async function planGenerated(path: string, theirs: FileEntry, input: PlanInput): Promise<FileAction> {
  const record = input.ledger.files[path];
  const ours = input.disk(path);
  if (!ours) {
    if (!record) return { path, status: "added", write: theirs };
    return input.force ? { path, status: "restored", write: theirs } : { path, status: "kept-deleted" };
  }
  if (ours.content.equals(theirs.content)) {
    return ours.mode === theirs.mode ? { path, status: "unchanged" } : { path, status: "updated", write: theirs };
  }
  const oursBlob = blobId(ours.content);
  if (record && oursBlob === record.blob) return { path, status: "updated", write: theirs };
  // The template has nothing new for this file: the user's version stands.
  if (record && record.blob === blobId(theirs.content)) return { path, status: "unchanged" };
  const base = record ? input.base(record.blob) : Buffer.alloc(0);
  const merged = await input.merge(ours.content, base ?? Buffer.alloc(0), theirs.content, path);
  const baseMissing = record !== undefined && base === undefined;
  if (merged.conflicts > 0) {
    return { path, status: "conflict", write: { content: merged.content, mode: theirs.mode }, baseMissing };
  }
  if (merged.content.equals(ours.content) && ours.mode === theirs.mode) return { path, status: "unchanged" };
  return { path, status: "merged", write: { content: merged.content, mode: theirs.mode } };
}

function planDropped(path: string, input: PlanInput): FileAction | undefined {
  const ours = input.disk(path);
  if (!ours) return undefined;
  if (blobId(ours.content) === input.ledger.files[path]!.blob) return { path, status: "removed", remove: true };
  return { path, status: "kept" };
}

export interface Drift {
  path: string;
  change: "changed" | "new" | "gone";
}

/**
 * Drift is what the manifest or the templates changed since the last sync:
 * the new render against the ledger. The user's own edits never count.
 */
export function findDrift(next: FileTree, ledger: Ledger): Drift[] {
  const drift: Drift[] = [];
  for (const [path, entry] of next) {
    const record = ledger.files[path];
    if (!record) drift.push({ path, change: "new" });
    else if (record.blob !== blobId(entry.content) || record.mode !== entry.mode) drift.push({ path, change: "changed" });
  }
  for (const path of Object.keys(ledger.files)) if (!next.has(path)) drift.push({ path, change: "gone" });
  return drift.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export function hasConflicts(actions: FileAction[]): boolean {
  return actions.some((a) => a.status === "conflict");
}
