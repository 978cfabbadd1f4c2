import type { FileEntry, FileTree } from "../render/index.js";
import { besidePath, conflictOpen } from "./conflicts.js";
import { comparable, inStyle, lineEnding, toLF } from "./eol.js";
import { blobId, type Ledger, type LedgerEntry } from "./ledger.js";
import { planMoves } from "./moves.js";

/**
 * Decides, per file, what sync does. No disk and no git in here: the caller
 * passes what is on disk, a way to fetch merge bases and a merge function, so
 * every rule can be tested in memory and dry-run shares the exact decisions.
 *
 * A file is compared by what git would store for it (its clean form, line
 * endings normalized, see eol.ts) and by its mode; both are merged three ways
 * against the ledger, the last generated version.
 */

export type Status =
  | "unchanged" // nothing to write: already current, or only the user changed it
  | "updated" // untouched by the user: replaced with the new render
  | "added" // newly generated
  | "merged" // user edit and template change merged cleanly
  | "conflict" // both changed the same lines: markers written (or the new render beside it), until resolved
  | "kept-deleted" // the user deleted it; left deleted
  | "restored" // the user deleted it; brought back by --force
  | "removed" // no longer generated and never edited: deleted
  | "kept"; // no longer generated but edited by the user: left in place, untracked

/** Content to write: in git's stored form (checked out through the repo's filters), or the bytes as they are. */
export interface Write extends FileEntry {
  asIs?: boolean;
}

export interface FileAction {
  path: string;
  status: Status;
  /** Content and mode to write, when the file changes on disk. */
  write?: Write;
  remove?: boolean;
  /** Whether the merge base could not be found (so the whole file conflicted). */
  baseMissing?: boolean;
  /** The new render, written beside the user's file (conflicts.besidePath) when the two cannot be merged. */
  beside?: FileEntry;
  /** Why a file could not be merged (beside conflicts). */
  reason?: string;
  /** A conflict left by an earlier sync and not yet resolved: nothing is written. */
  unresolved?: boolean;
  /** What the ledger records for this path after the sync; none = no longer tracked. */
  record?: LedgerEntry;
  /** Why git could not give the file's stored form: it was compared and merged as its bytes on disk. */
  unconverted?: string;
  /** A file a release moved (moves.ts): where its edit went. */
  movedTo?: string;
  /** The moved files whose edits were merged into this one. */
  movedFrom?: string[];
}

export type MergeResult = { content: Buffer; conflicts: number } | { failed: string };

/** A file on disk; `clean` is what git would store for it, when that differs from the bytes. */
export interface DiskEntry extends FileEntry {
  clean?: Buffer;
  /** git could not convert it to its stored form (its message): its bytes stand in. */
  unconverted?: string;
}

/**
 * The content every check of a working file looks at: what git would commit
 * (line endings normalized, working-tree-encoding decoded), never the raw
 * bytes, which may be UTF-16 or CRLF. Only writes of the user's own bytes
 * (mode-only changes) use `content`.
 */
export function storedForm(entry: DiskEntry): Buffer {
  return entry.clean ?? entry.content;
}

export interface PlanInput {
  next: FileTree;
  ledger: Ledger;
  disk: (path: string) => DiskEntry | undefined;
  /** Whether any file exists at a path (for FILE.generated of an open conflict). */
  exists: (path: string) => boolean;
  base: (blob: string) => Buffer | undefined;
  merge: (ours: Buffer, base: Buffer, theirs: Buffer, path: string) => Promise<MergeResult>;
  force?: boolean;
}

export async function planSync(input: PlanInput): Promise<FileAction[]> {
  const { next, ledger } = input;
  const paths = [...new Set([...next.keys(), ...Object.keys(ledger.files)])].sort();
  const actions: FileAction[] = [];
  const moved = await planMoves(input);
  for (const path of paths) {
    const theirs = next.get(path);
    const action = moved.get(path) ?? (theirs ? await planGenerated(path, theirs, input) : planDropped(path, input));
    // Said whatever the status: every decision for this file rests on its raw bytes.
    const unconverted = input.disk(path)?.unconverted;
    if (action) actions.push(unconverted ? { ...action, unconverted } : action);
  }
  return actions;
}

async function planGenerated(path: string, theirs: FileEntry, input: PlanInput): Promise<FileAction> {
  const record = input.ledger.files[path];
  const generated: LedgerEntry = { blob: blobId(theirs.content), mode: theirs.mode };
  const ours = input.disk(path);
  if (!ours) {
    if (!record) return { path, status: "added", write: theirs, record: generated };
    return input.force ? { path, status: "restored", write: theirs, record: generated } : { path, status: "kept-deleted", record: generated };
  }
  const open = unresolved(path, record, ours, input);
  if (open) return open;

  const { content: mine, style } = comparable(storedForm(ours), theirs.content);
  const mode = mergeMode(record?.mode, ours.mode, theirs.mode);
  // Content stays the user's; only the mode may need the template's change.
  const keepContent = (status: Status): FileAction =>
    ours.mode === mode ? { path, status: "unchanged", record: generated } : { path, status, write: { content: ours.content, mode, asIs: true }, record: generated };
  if (mine.equals(theirs.content)) return keepContent("updated");
  if (record && blobId(mine) === record.blob) {
    return { path, status: "updated", write: { content: inStyle(theirs.content, style), mode }, record: generated };
  }
  // The template has nothing new for this file's content: the user's version stands.
  if (record && record.blob === generated.blob) return keepContent("merged");

  const base = record ? input.base(record.blob) : Buffer.alloc(0);
  const baseMissing = record !== undefined && base === undefined;
  let merged: MergeResult;
  try {
    merged = await input.merge(mine, base ?? Buffer.alloc(0), theirs.content, path);
  } catch (err) {
    merged = { failed: (err as Error).message };
  }
  if ("failed" in merged) {
    // Not mergeable line by line (binary, undecodable): the user's file stays, the new render goes beside it.
    const beside = { content: inStyle(theirs.content, style), mode: theirs.mode };
    return { path, status: "conflict", beside, reason: merged.failed, record: { ...generated, conflict: "beside" } };
  }
  const write = { content: inStyle(merged.content, style), mode };
  if (merged.conflicts > 0) return { path, status: "conflict", write, baseMissing, record: { ...generated, conflict: "markers" } };
  if (merged.content.equals(mine)) return keepContent("merged");
  return { path, status: "merged", write, record: generated };
}

function planDropped(path: string, input: PlanInput): FileAction | undefined {
  const record = input.ledger.files[path]!;
  const ours = input.disk(path);
  if (!ours) return undefined;
  const open = unresolved(path, record, ours, input);
  if (open) return open;
  const clean = storedForm(ours);
  const asGenerated = lineEnding(clean) === "crlf" ? toLF(clean) : clean;
  // Unchanged but for line endings: removed; a changed mode is the user's, so the file is kept.
  const same = blobId(clean) === record.blob || blobId(asGenerated) === record.blob;
  if (same && ours.mode === record.mode) return { path, status: "removed", remove: true };
  return { path, status: "kept" };
}

/** An earlier conflict still open: report it again and keep its record, write nothing. */
function unresolved(path: string, record: LedgerEntry | undefined, ours: DiskEntry, input: PlanInput): FileAction | undefined {
  const kind = conflictOpen(path, record, { stored: storedForm(ours), besideExists: input.exists(besidePath(path)) });
  if (!kind) return undefined;
  const kept = record ?? { blob: blobId(storedForm(ours)), mode: ours.mode };
  return { path, status: "conflict", unresolved: true, record: { ...kept, conflict: kind } };
}

/**
 * Three-way merge of the executable bit: the user's change wins over an
 * unchanged template, the template's over an unchanged file; with two
 * values, both sides changing means both agree.
 */
export function mergeMode(base: number | undefined, ours: number, theirs: number): number {
  return base !== undefined && ours !== base ? ours : theirs;
}

export interface Drift {
  path: string;
  change: "changed" | "new" | "gone" | "conflict";
}

/**
 * Drift is what the manifest or the templates changed since the last sync:
 * the new render against the ledger. The user's own edits never count;
 * conflicts still open do (the caller finds them on disk).
 */
export function findDrift(next: FileTree, ledger: Ledger, openConflicts: string[] = []): Drift[] {
  const drift: Drift[] = openConflicts.map((path) => ({ path, change: "conflict" as const }));
  const open = new Set(openConflicts);
  for (const [path, entry] of next) {
    const record = ledger.files[path];
    if (open.has(path)) continue;
    if (!record) drift.push({ path, change: "new" });
    else if (record.blob !== blobId(entry.content) || record.mode !== entry.mode) drift.push({ path, change: "changed" });
  }
  for (const path of Object.keys(ledger.files)) if (!next.has(path) && !open.has(path)) drift.push({ path, change: "gone" });
  return drift.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export function hasConflicts(actions: FileAction[]): boolean {
  return actions.some((a) => a.status === "conflict");
}
