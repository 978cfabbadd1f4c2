import { resolve } from "node:path";
import { EXIT } from "../errors.js";
import { shownPath } from "../shown-path.js";
import { MANIFEST_FILE, type Manifest } from "../manifest.js";
import { formatMigrations, parseRecordedManifest, type MigrationNotice } from "../manifest-migrations.js";
import { render, type FileEntry, type FileTree } from "../render/index.js";
import { loadBases } from "../sync/bases.js";
import { describeChanges } from "../sync/diff.js";
import { besidePath, conflictOpen, type SyncConflict } from "../sync/conflicts.js";
import { LEDGER_FILE, blobId, managedFiles, recordedLedger, serializeLedger, type Ledger } from "../sync/ledger.js";
import { manifestBytes, recordFile } from "../sync/records.js";
import { mergeFile } from "../sync/merge.js";
import { movedTo } from "../sync/moves.js";
import { pinnedInFiles } from "../sync/new-fields.js";
import { findDrift, hasConflicts, planSync, storedForm, type DiskEntry, type FileAction } from "../sync/plan.js";
import { countByStatus, formatDrift, formatSyncReport } from "../sync/report.js";
import { GENERATOR_VERSION } from "../version.js";
import { readRecords } from "../write/repo.js";
import { removeStaleTemps } from "../write/stale-temps.js";
import { readEntry } from "../write/repo-path.js";
import { applySync, readDisk, syncPaths, type Unconverted } from "../write/sync.js";
import { firstObstacle } from "../write/stage.js";
import { withRepoLock } from "../write/repo-lock.js";
import { locate, type Worktree } from "../write/worktree.js";
import { snapshotBlobs, snapshotRef, storeSnapshot } from "../write/snapshot.js";
import { snapshotStale } from "../sync/snapshot-check.js";
import { generatorNotice } from "../sync/generator-notice.js";

export interface SyncOptions {
  check?: boolean;
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
  /** List every file written, not only those that need the user. */
  verbose?: boolean;
  /** A changed manifest (from `add`/`remove`), written along with the files. */
  manifest?: Manifest;
  /** What reading the recorded manifest migrated (manifest-migrations.ts), when the caller read it. */
  migrated?: MigrationNotice[];
  /** The folder as the user typed it (undefined: none, the current one), for shownPath. */
  typedDir?: string;
  /** What ran, for the report's first line (`add worker pricing`); sync by default. */
  command?: string;
  /**
   * Work for `add`/`remove` once the files are written (or, for --dry-run,
   * what it would do), told whether the sync left conflicts and which files
   * it left in place that are no longer generated (edited, so kept): its
   * report's lines follow the file report, its JSON joins the JSON report.
   */
  after?: (run: { dryRun: boolean; code: number; conflicts: SyncConflict[]; kept: string[] }) => Afterword;
}

export interface Afterword {
  lines: string[];
  json?: Record<string, unknown>;
}

/**
 * manifest → render → three-way plan against the ledger → write (or only
 * report). Exit 3 when a conflict is left to resolve, or for --check when the
 * generated files are stale. A run that may write holds the repository's
 * lock throughout (repo-lock.ts); --check and --dry-run only read.
 */
export async function runSync(dirArg: string | undefined, options: SyncOptions = {}): Promise<number> {
  const dir = resolve(dirArg ?? ".");
  const typed = { ...options, typedDir: dirArg };
  if (options.check || options.dryRun) return syncIn(dir, typed);
  return withRepoLock(dir, () => syncIn(dir, typed));
}

/** runSync's work, for a caller that already holds the lock (or needs none). */
export async function syncIn(dir: string, options: SyncOptions): Promise<number> {
  const shown = shownPath(dir, options.typedDir ?? ".");
  const worktree = await locate(dir);
  const records = await readRecords(dir, worktree);
  const recorded = options.manifest ? { manifest: options.manifest, notices: options.migrated ?? [] } : parseRecordedManifest(records.manifestJson);
  const manifest = withCurrentGenerator(recorded.manifest);
  const versionNote = options.check ? undefined : generatorNotice(recorded.manifest.generator.version, Boolean(options.dryRun));
  // On stderr, so --json's report stays the whole of stdout; its JSON carries it too.
  if (versionNote) console.error(versionNote.line);
  const generator = versionNote ? { generator: versionNote.json } : {};
  const { ledger } = records;
  const next = managedFiles(render(manifest));

  if (options.check) {
    const onDisk = await readDisk(dir, worktree, [...new Set([...next.keys(), ...Object.keys(ledger.files)])]);
    const drift = findDrift(next, ledger, openConflicts(dir, ledger, onDisk));
    const unconverted = [...onDisk].flatMap(([path, e]) => (e.unconverted ? [{ path, unconverted: e.unconverted }] : []));
    const migrated = recorded.notices.length > 0 ? { migrated: recorded.notices } : {};
    if (options.json) console.log(JSON.stringify({ dir, drift, ...(unconverted.length > 0 ? { unconverted } : {}), ...migrated }, null, 2));
    else console.log([formatDrift(shown, drift, unconverted, recorded.manifest.generator.version), ...formatMigrations(recorded.notices, true)].join("\n"));
    return drift.length > 0 ? EXIT.drift : EXIT.ok;
  }

  const stale = [...next].filter(([path, e]) => ledger.files[path] && ledger.files[path].blob !== blobId(e.content));
  // A moved file's edit is merged from the old file's last generated version (sync/moves.ts).
  const moved = Object.keys(ledger.files).filter((path) => !next.has(path) && movedTo(path) !== undefined);
  const wanted = [...new Set([...stale.map(([path]) => path), ...moved].map((path) => ledger.files[path]!.blob))];
  const bases = await loadBases(dir, ledger, wanted);
  const paths = [...new Set([...next.keys(), ...Object.keys(ledger.files)])];
  const snapshotNote = await rerecordStaleSnapshot(dir, worktree, ledger, Boolean(options.dryRun));
  // What a killed run left goes first, so a file it had set aside for removal is read back in its place (--dry-run writes nothing).
  if (!options.dryRun) removeStaleTemps(dir, paths);
  const onDisk = await readDisk(dir, worktree, [...paths, MANIFEST_FILE, LEDGER_FILE]);
  const disk = (path: string) => onDisk.get(path);
  const exists = (path: string) => readEntry(dir, path) !== undefined;
  const actions = await planSync({ next, ledger, disk, exists, base: (id) => bases.get(id), merge: mergeFile, force: options.force });
  const edited = (path: string) => {
    const e = disk(path);
    const stored = e && storedForm(e);
    return stored && ledger.files[path] && ledger.files[path].blob !== blobId(stored) ? stored : undefined;
  };
  const notices = pinnedInFiles(recorded.notices, manifest, next, edited, (m) => managedFiles(render(m)));
  const migrated = notices.length > 0 ? { migrated: notices } : {};

  // The records are compared and written like generated files (sync/records.ts).
  const manifestFile = recordFile(onDisk.get(MANIFEST_FILE), manifestBytes(manifest));
  const manifestChanged = manifestFile.changed;
  const code = hasConflicts(actions) ? EXIT.drift : EXIT.ok;
  const conflicts: SyncConflict[] = actions
    .filter((a) => a.status === "conflict")
    .map((a) => ({ path: a.path, beside: a.beside !== undefined || a.record?.conflict === "beside" }));
  // A moved file's edit is kept at its new path; only the rest stay where they were, still on disk.
  const kept = actions.filter((a) => a.status === "kept" && a.movedTo === undefined).map((a) => a.path);
  const style = { command: options.command, verbose: options.verbose };

  const newLedger = recordedLedger(actions, manifest);
  const changes = actions.some((a) => a.write || a.remove || a.beside) || manifestChanged;
  const applies = changes || !serializeLedger(newLedger).equals(serializeLedger(ledger));

  if (options.dryRun) {
    // Refused as the real run would be (a file where a generated folder goes...), with its error: exit 2, not a preview.
    const { writes, removals } = syncPaths(actions, manifestChanged ? MANIFEST_FILE : undefined);
    const blocked = applies ? firstObstacle(dir, writes, removals) : undefined;
    if (blocked) throw blocked;
    // Compared in git's stored form, so a CRLF checkout's diff shows only the real changes.
    const stored = (path: string) => {
      const e = disk(path);
      return e && { content: storedForm(e), mode: e.mode };
    };
    const diff = await describeChanges(withManifest(forDiff(actions, stored), manifestChanged, manifestFile.content), stored);
    const after = options.after?.({ dryRun: true, code, conflicts, kept }) ?? { lines: [] };
    if (options.json) console.log(JSON.stringify({ ...jsonReport(dir, actions, code, true, diff), ...migrated, ...generator, ...snapshotNote?.json, ...after.json }, null, 2));
    else {
      const lines = [formatSyncReport(shown, actions, true, [], style), ...formatMigrations(notices, true), ...(snapshotNote?.lines ?? []), ...after.lines];
      console.log([lines.join("\n"), diff].filter(Boolean).join("\n\n"));
    }
    return code;
  }

  let notCheckedOut: Unconverted[] = [];
  if (applies) {
    notCheckedOut = await applySync(dir, actions, {
      worktree,
      ledger: newLedger,
      generated: next,
      manifest: manifestChanged ? { path: MANIFEST_FILE, content: manifestFile.content } : undefined,
      ledgerStyle: recordFile(onDisk.get(LEDGER_FILE), serializeLedger(newLedger)).style,
    });
  }
  const after = options.after?.({ dryRun: false, code, conflicts, kept }) ?? { lines: [] };
  if (options.json) console.log(JSON.stringify({ ...jsonReport(dir, actions, code, false), ...(notCheckedOut.length > 0 ? { notCheckedOut } : {}), ...migrated, ...generator, ...snapshotNote?.json, ...after.json }, null, 2));
  else console.log([formatSyncReport(shown, actions, false, notCheckedOut, style), ...formatMigrations(notices, false), ...(snapshotNote?.lines ?? []), ...after.lines].join("\n"));
  return code;
}

/**
 * The snapshot ref back in step with the checked-out ledger when they
 * parted (snapshot-check.ts: a reset to a commit before the last sync): a
 * new commit on the ref, its parent the old tip so every base stays
 * reachable, holding the files the ledger records (their blobs, from git or
 * a re-render of the recorded manifest). Merges never read the ref: their
 * bases are the ledger's blob ids. --dry-run only says it would.
 */
async function rerecordStaleSnapshot(dir: string, worktree: Worktree | undefined, ledger: Ledger, dryRun: boolean): Promise<Afterword | undefined> {
  const onRef = await snapshotBlobs(worktree);
  if (!onRef || !snapshotStale(ledger, onRef)) return undefined;
  const ref = snapshotRef(worktree!.prefix);
  if (!dryRun) {
    const ids = [...new Set(Object.values(ledger.files).map((e) => e.blob))];
    const contents = await loadBases(dir, ledger, ids);
    const tree: FileTree = new Map();
    for (const [path, entry] of Object.entries(ledger.files)) {
      const content = contents.get(entry.blob);
      if (content) tree.set(path, { content, mode: entry.mode });
    }
    await storeSnapshot(worktree, tree);
  }
  const line = `  (${ref} recorded another generation than this commit's ledger, as after a git reset to a commit before the last sync: sync merges against the ledger's record${dryRun ? ", and will record it on the ref again" : ", now recorded on the ref again"})`;
  return { lines: [line], json: { snapshotRerecorded: { ref, dryRun } } };
}

/** Conflicts an earlier sync left that are still on disk (markers, or FILE.generated beside), found in the files' stored form as sync itself does. */
function openConflicts(dir: string, ledger: Ledger, onDisk: Map<string, DiskEntry>): string[] {
  return [...onDisk.keys()].filter((path) => {
    const entry = onDisk.get(path);
    const probe = { stored: entry && storedForm(entry), besideExists: readEntry(dir, besidePath(path)) !== undefined };
    return conflictOpen(path, ledger.files[path], probe) !== undefined;
  });
}

/** Sync records which version of the tool produced the files it wrote. */
function withCurrentGenerator(manifest: Manifest): Manifest {
  return { ...manifest, generator: { ...manifest.generator, version: GENERATOR_VERSION } };
}

/** Mode-only writes keep the file's bytes; a file that cannot be merged shows its new render as FILE.generated. */
function forDiff(actions: FileAction[], stored: (path: string) => FileEntry | undefined): FileAction[] {
  return actions.flatMap((a) => {
    const write = a.write?.asIs ? { content: stored(a.path)!.content, mode: a.write.mode } : a.write;
    const beside: FileAction[] = a.beside ? [{ path: besidePath(a.path), status: "added", write: a.beside }] : [];
    return [{ ...a, write }, ...beside];
  });
}

function withManifest(actions: FileAction[], changed: boolean, content: Buffer): FileAction[] {
  return changed ? [...actions, { path: MANIFEST_FILE, status: "updated", write: { content, mode: 0o644 } }] : actions;
}

function jsonReport(dir: string, actions: FileAction[], exit: number, dryRun: boolean, diff?: string) {
  return {
    dir,
    dryRun,
    exit,
    counts: countByStatus(actions),
    files: actions.map((a) => ({
      path: a.path,
      status: a.status,
      ...(a.baseMissing ? { baseMissing: true } : {}),
      ...(a.unresolved ? { unresolved: true } : {}),
      ...(a.beside ? { generatedBeside: besidePath(a.path), reason: a.reason } : {}),
      ...(a.unconverted ? { unconverted: a.unconverted } : {}),
    })),
    ...(diff !== undefined ? { diff } : {}),
  };
}
