import { renameSync, rmSync } from "node:fs";
import type { FileEntry, FileTree } from "../render/index.js";
import { besidePath } from "../sync/conflicts.js";
import { LEDGER_FILE, blobId, serializeLedger, type Ledger } from "../sync/ledger.js";
import type { DiskEntry, FileAction } from "../sync/plan.js";
import { storeSnapshot } from "./snapshot.js";
import { inStyle, type LineEnding } from "../sync/eol.js";
import { checkoutForms, storedForms, type Worktree } from "./worktree.js";
import { holdSignals } from "./held-signals.js";
import { removeEmptyFolders } from "./prune.js";
import { readEntry } from "./repo-path.js";
import { firstObstacle, stage } from "./stage.js";

/**
 * The files at these paths as sync compares them: bytes, mode, and (in a git
 * work tree) what git would store for them, so a checkout's line endings or
 * encoding filters are not taken for edits; a file git cannot convert keeps
 * its bytes and says why (unconverted).
 */
export async function readDisk(dir: string, worktree: Worktree | undefined, paths: string[]): Promise<Map<string, DiskEntry>> {
  const entries = new Map<string, DiskEntry>();
  for (const path of paths) {
    const entry = readEntry(dir, path);
    if (entry) entries.set(path, entry);
  }
  if (!worktree) return entries;
  const stored = await storedForms(worktree, new Map([...entries].map(([p, e]) => [p, e.content])), blobId);
  for (const [path, clean] of stored.forms) entries.set(path, { ...entries.get(path)!, clean });
  for (const [path, said] of stored.failed) entries.set(path, { ...entries.get(path)!, unconverted: said });
  return entries;
}

/** A file git could not convert (to its stored form, or to its checkout form), with git's message. */
export interface Unconverted {
  path: string;
  unconverted: string;
}

export interface ApplyOptions {
  /** The git work tree the project is in, if any: its filters shape what is written. */
  worktree: Worktree | undefined;
  ledger: Ledger;
  /** The generated tree just rendered, kept in git so later merges find their base. */
  generated: FileTree;
  /** The manifest file's new bytes, when they differ from disk. */
  manifest?: { path: string; content: Buffer };
  /** The ledger file's line endings on disk, kept like a generated file's (LF if not given). */
  ledgerStyle?: LineEnding;
}

/**
 * The only code that changes an existing repo, all or nothing. First every
 * new file is written beside its place as a temp file and every file to
 * remove is renamed aside (stage.ts; what fails in practice fails there:
 * permissions, a full disk, a folder in the way, a symbolic link out of
 * the repo), and on any failure that is undone and nothing has changed.
 * Then each temp file is renamed into place and the set-aside files are
 * deleted: the manifest first, the ledger last, so a crash part-way leaves
 * every file old or new and a re-run of sync renders the new manifest,
 * finds the files already written current and writes the rest. Ctrl-C and SIGTERM wait for the end of that
 * and then exit 130 / 143. Content is planned in git's stored form and
 * written in the form `git checkout` would give it (CRLF under autocrlf,
 * smudge filters), so git sees exactly the planned change. Returns the
 * files git could not check out, written in their stored form, each with
 * git's message (as readDisk names those it could not convert).
 */
export async function applySync(dir: string, actions: FileAction[], options: ApplyOptions): Promise<Unconverted[]> {
  // What stands in the way refuses the run before anything moves, the snapshot ref included (a dry run checks the same).
  const { writes: paths, removals } = syncPaths(actions, options.manifest?.path);
  const blocked = firstObstacle(dir, paths, removals);
  if (blocked) throw blocked;
  const held = holdSignals();
  try {
    await storeSnapshot(options.worktree, options.generated);
    const stored = new Map<string, Buffer>();
    for (const a of actions) {
      if (a.write && !a.write.asIs) stored.set(a.path, a.write.content);
      if (a.beside) stored.set(a.path, a.beside.content);
    }
    // The manifest and the ledger are checked out like every other file (CRLF under autocrlf, encodings).
    const ledgerBytes = inStyle(serializeLedger(options.ledger), options.ledgerStyle ?? "lf");
    if (options.manifest) stored.set(options.manifest.path, options.manifest.content);
    stored.set(LEDGER_FILE, ledgerBytes);
    const onDisk = options.worktree ? await checkoutForms(options.worktree, stored) : { forms: new Map<string, Buffer>(), failed: new Map<string, string>() };
    await held.checkpoint();
    const checkedOut = (path: string, entry: FileEntry) => ({ content: onDisk.forms.get(path) ?? entry.content, mode: entry.mode });
    const writes: { path: string; entry: FileEntry }[] = [];
    if (options.manifest) writes.push({ path: options.manifest.path, entry: checkedOut(options.manifest.path, { content: options.manifest.content, mode: 0o644 }) });
    for (const action of actions) {
      if (action.write) writes.push({ path: action.path, entry: action.write.asIs ? action.write : checkedOut(action.path, action.write) });
      if (action.beside) writes.push({ path: besidePath(action.path), entry: checkedOut(action.path, action.beside) });
    }
    writes.push({ path: LEDGER_FILE, entry: checkedOut(LEDGER_FILE, { content: ledgerBytes, mode: 0o644 }) });
    const staged = stage(dir, writes, removals);
    // Interrupted while staging: nothing is in place yet, so the staging is undone and the repo is as it was.
    await held.checkpoint(staged.undo);
    const ledger = staged.files.pop()!;
    for (const { temp, file } of staged.files) renameSync(temp, file);
    // Deleted before the ledger moves: a crash in between leaves an old ledger listing files already gone, which the
    // next sync just forgets; set-aside files still there after a new ledger would have no record left to remove them by.
    for (const { path, temp } of staged.aside) {
      rmSync(temp, { force: true });
      removeEmptyFolders(dir, path.split("/").slice(0, -1).join("/"));
    }
    renameSync(ledger.temp, ledger.file);
    await held.checkpoint();
    // Named by the file written: a render that could not be merged went beside its file.
    const beside = new Set(actions.filter((a) => a.beside).map((a) => a.path));
    return [...onDisk.failed].map(([path, said]) => ({ path: beside.has(path) ? besidePath(path) : path, unconverted: said }));
  } finally {
    held.release();
  }
}

/**
 * The paths applySync writes (in its order: the manifest, each file or its
 * copy beside it, the ledger) and removes for these actions, so a dry run
 * checks the very places the real run would stage.
 */
export function syncPaths(actions: FileAction[], manifestPath: string | undefined): { writes: string[]; removals: string[] } {
  const writes = manifestPath ? [manifestPath] : [];
  for (const action of actions) {
    if (action.write) writes.push(action.path);
    if (action.beside) writes.push(besidePath(action.path));
  }
  writes.push(LEDGER_FILE);
  return { writes, removals: actions.filter((a) => !a.write && a.remove).map((a) => a.path) };
}
