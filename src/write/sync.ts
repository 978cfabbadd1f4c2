import { chmodSync, lstatSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { FileEntry, FileTree } from "../render/index.js";
import { besidePath } from "../sync/conflicts.js";
import { LEDGER_FILE, blobId, serializeLedger, type Ledger } from "../sync/ledger.js";
import type { DiskEntry, FileAction } from "../sync/plan.js";
import { storeSnapshot } from "./snapshot.js";
import { checkoutForms, storedForms, type Worktree } from "./worktree.js";
import { makeDirs } from "../make-dirs.js";

/** What is on disk at a repo-relative path, or undefined if nothing (or not a file). */
export function readEntry(dir: string, path: string): FileEntry | undefined {
  const file = join(dir, ...path.split("/"));
  try {
    const stat = lstatSync(file);
    if (!stat.isFile()) return undefined;
    return { content: readFileSync(file), mode: stat.mode & 0o111 ? 0o755 : 0o644 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw err;
  }
}

/**
 * The files at these paths as sync compares them: bytes, mode, and (in a git
 * work tree) what git would store for them, so a checkout's line endings or
 * encoding filters are not taken for edits.
 */
export async function readDisk(dir: string, worktree: Worktree | undefined, paths: string[]): Promise<Map<string, DiskEntry>> {
  const entries = new Map<string, DiskEntry>();
  for (const path of paths) {
    const entry = readEntry(dir, path);
    if (entry) entries.set(path, entry);
  }
  if (!worktree) return entries;
  const stored = await storedForms(worktree, new Map([...entries].map(([p, e]) => [p, e.content])), blobId);
  for (const [path, clean] of stored) entries.set(path, { ...entries.get(path)!, clean });
  return entries;
}

export interface ApplyOptions {
  /** The git work tree the project is in, if any: its filters shape what is written. */
  worktree: Worktree | undefined;
  ledger: Ledger;
  /** The generated tree just rendered, kept in git so later merges find their base. */
  generated: FileTree;
  /** The manifest file's new bytes, when they differ from disk. */
  manifest?: { path: string; content: Buffer };
}

/**
 * The only code that changes an existing repo. Each file is replaced by
 * rename(2) from a sibling temp file, so a crash leaves every file either old
 * or new; the ledger goes last, so an interrupted sync is simply re-run (files
 * already current are then "unchanged"). Content is planned in git's stored
 * form and written in the form `git checkout` would give it (CRLF under
 * autocrlf, smudge filters), so git sees exactly the planned change.
 */
export async function applySync(dir: string, actions: FileAction[], options: ApplyOptions): Promise<void> {
  await storeSnapshot(options.worktree, options.generated);
  const stored = new Map<string, Buffer>();
  for (const a of actions) {
    if (a.write && !a.write.asIs) stored.set(a.path, a.write.content);
    if (a.beside) stored.set(a.path, a.beside.content);
  }
  const onDisk = options.worktree ? await checkoutForms(options.worktree, stored) : new Map<string, Buffer>();
  const checkedOut = (path: string, entry: FileEntry) => ({ content: onDisk.get(path) ?? entry.content, mode: entry.mode });
  for (const action of actions) {
    if (action.write) writeAtomic(dir, action.path, action.write.asIs ? action.write : checkedOut(action.path, action.write));
    else if (action.remove) removeFile(dir, action.path);
    if (action.beside) writeAtomic(dir, besidePath(action.path), checkedOut(action.path, action.beside));
  }
  if (options.manifest) writeAtomic(dir, options.manifest.path, { content: options.manifest.content, mode: 0o644 });
  writeAtomic(dir, LEDGER_FILE, { content: serializeLedger(options.ledger), mode: 0o644 });
}

function writeAtomic(dir: string, path: string, entry: FileEntry) {
  const file = join(dir, ...path.split("/"));
  makeDirs(dirname(file));
  const temp = `${file}.hybrid-backend-${process.pid}.tmp`;
  try {
    writeFileSync(temp, entry.content, { mode: entry.mode });
    chmodSync(temp, entry.mode);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Delete a file, then any folders it leaves empty (never the repo root). */
function removeFile(dir: string, path: string) {
  rmSync(join(dir, ...path.split("/")), { force: true });
  const parts = path.split("/").slice(0, -1);
  while (parts.length > 0) {
    const folder = join(dir, ...parts);
    try {
      if (readdirSync(folder).length > 0) return;
      rmdirSync(folder);
    } catch {
      return;
    }
    parts.pop();
  }
}
