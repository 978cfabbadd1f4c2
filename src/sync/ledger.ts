import { createHash } from "node:crypto";
import { CLEAN_PATH_RULE, pathFault } from "../clean-path.js";
import { UsageError } from "../errors.js";
import { checkJsonDepth } from "../json-depth.js";
import { MANIFEST_FILE, type Manifest } from "../manifest.js";
import { sortTree, type FileTree } from "../render/index.js";
import { GENERATOR_VERSION } from "../version.js";
import type { ConflictKind } from "./conflicts.js";

/**
 * What the tool last wrote, per file: the git blob id of the content and its
 * mode. Sync needs it to tell a user's edit (disk differs from the ledger)
 * from a template change (new render differs from the ledger), and to fetch
 * the merge base by id. The manifest that produced it is kept too, so the
 * base can be re-rendered when git no longer has the blob.
 */
export const LEDGER_FILE = ".hybrid-backend/ledger.json";

export interface LedgerEntry {
  blob: string;
  mode: number;
  /** Set while a conflict sync left in this file is unresolved (see conflicts.ts). */
  conflict?: ConflictKind;
}

export interface Ledger {
  generator: string;
  manifest: Manifest;
  files: Record<string, LedgerEntry>;
}

/** git's blob id, so a base can be looked up with `git cat-file`. */
export function blobId(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

/**
 * The files sync owns: everything rendered except the manifest, which is the
 * user's input (sync reads it, never merges it).
 */
export function managedFiles(tree: FileTree): FileTree {
  return new Map([...tree].filter(([path]) => path !== MANIFEST_FILE && path !== LEDGER_FILE));
}

export function ledgerFor(tree: FileTree, manifest: Manifest): Ledger {
  const files: Record<string, LedgerEntry> = {};
  for (const [path, entry] of managedFiles(tree)) files[path] = { blob: blobId(entry.content), mode: entry.mode };
  return { generator: GENERATOR_VERSION, manifest, files };
}

/**
 * The ledger after a sync: per file, the generated version the file on disk
 * now incorporates (an unresolved conflict keeps the version it was left
 * against), so it never claims what is not on disk.
 */
export function recordedLedger(actions: { path: string; record?: LedgerEntry }[], manifest: Manifest): Ledger {
  const files: Record<string, LedgerEntry> = {};
  for (const a of [...actions].sort((x, y) => (x.path < y.path ? -1 : 1))) if (a.record) files[a.path] = a.record;
  return { generator: GENERATOR_VERSION, manifest, files };
}

export function serializeLedger(ledger: Ledger): Buffer {
  return Buffer.from(`${JSON.stringify(ledger, null, 2)}\n`);
}

/** A rendered tree plus its ledger: what create writes. */
export function withLedger(tree: FileTree, manifest: Manifest): FileTree {
  const out = new Map(tree);
  out.set(LEDGER_FILE, { content: serializeLedger(ledgerFor(tree, manifest)), mode: 0o644 });
  return sortTree(out);
}

/**
 * Parse a ledger read from disk; a damaged one is reported, never guessed at.
 * Its paths are what sync reads, overwrites and deletes: one that is not
 * clean (or names the manifest or the ledger, which are never generated
 * files) is refused by name before anything is touched.
 */
export function parseLedger(text: string): Ledger {
  const value = JSON.parse(text) as Partial<Ledger>;
  checkJsonDepth(value, LEDGER_FILE);
  if (typeof value.generator !== "string" || typeof value.files !== "object" || value.files === null || !value.manifest) {
    throw new Error("missing generator, manifest or files");
  }
  for (const [path, entry] of Object.entries(value.files)) {
    const fault = pathFault(path) ?? (isRecord(path) ? "it is the manifest or the ledger, which sync never generates" : undefined);
    if (fault) {
      throw new UsageError(
        `${LEDGER_FILE} files`,
        path,
        `${fault}; the ledger lists generated files by ${CLEAN_PATH_RULE}, since sync reads and deletes only inside the repository: restore the ledger from git (git checkout -- ${LEDGER_FILE})`,
      );
    }
    const conflictOk = entry?.conflict === undefined || entry.conflict === "markers" || entry.conflict === "beside";
    if (!/^[0-9a-f]{40}$/.test(entry?.blob ?? "") || typeof entry.mode !== "number" || !conflictOk) {
      throw new Error(`bad entry for ${path}`);
    }
  }
  return value as Ledger;
}

/** The manifest and the ledger, in any case (a case-insensitive disk takes HYBRID-BACKEND.JSON for the manifest). */
function isRecord(path: string): boolean {
  const lower = path.toLowerCase();
  return lower === MANIFEST_FILE.toLowerCase() || lower === LEDGER_FILE.toLowerCase();
}
