import { closeSync, existsSync, lstatSync, openSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECTS_DIR, cacheDir } from "./dir.js";
import { makeDirs } from "../make-dirs.js";

/**
 * The cache is a set of whole entries (a tool release, a virtualenv, the
 * shared Rust build folder for one toolchain and lock file, one repo's
 * validate state), each a folder that can be deleted on its own and is
 * recreated when next needed. Last use is the mtime of a marker file touched
 * whenever the entry is used: directory atimes are not kept on noatime or
 * relatime mounts, and the folder's own mtime moves only when its listing does.
 */
export const LAST_USED = ".last-used";
const LABEL = ".label";

export type EntryKind = "tool" | "python" | "rust-build" | "project" | "other";

export interface Entry {
  /** Path relative to the cache folder, e.g. "buf-1.75.0" or "validate/ab12…". */
  name: string;
  path: string;
  kind: EntryKind;
  /** What it is for, e.g. the repo a project entry belongs to. */
  label?: string;
  bytes: number;
  lastUsed: Date;
}

/** Entries touched by this process: never evicted by it. */
const usedNow = new Set<string>();

/**
 * Marks an entry as used now (creating its folder); label is shown by
 * `cache info`. Returns the entry's path, so callers can write
 * `touchEntry(dir)` where they would have written `dir`.
 */
export function touchEntry(path: string, label?: string): string {
  makeDirs(path);
  const marker = join(path, LAST_USED);
  const now = new Date();
  try {
    utimesSync(marker, now, now);
  } catch {
    closeSync(openSync(marker, "a"));
  }
  if (label !== undefined) writeFileSync(join(path, LABEL), label);
  usedNow.add(path);
  return path;
}

export function usedByThisProcess(): ReadonlySet<string> {
  return usedNow;
}

/** Every entry in the cache, least recently used first. */
export function listEntries(root: string = cacheDir()): Entry[] {
  if (!existsSync(root)) return [];
  const dirs: string[] = [];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (!lstatSync(path).isDirectory()) continue;
    if (name === PROJECTS_DIR) dirs.push(...readdirSync(path).map((id) => join(path, id)).filter((p) => lstatSync(p).isDirectory()));
    else dirs.push(path);
  }
  return dirs
    .flatMap((path) => {
      const name = path.slice(root.length + 1);
      // Other runs share the cache: an entry may vanish (their eviction) while it is measured.
      try {
        return [{ name, path, kind: kindOf(name), label: readLabel(path), bytes: sizeOf(path), lastUsed: lastUsed(path) }];
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw e;
      }
    })
    .sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime() || (a.name < b.name ? -1 : 1));
}

function kindOf(name: string): EntryKind {
  if (name.startsWith(`${PROJECTS_DIR}/`)) return "project";
  if (name.startsWith("rust-build-")) return "rust-build";
  if (/^(buf|actionlint)-/.test(name)) return "tool";
  if (/^(moto|check-jsonschema)-/.test(name)) return "python";
  return "other";
}

function readLabel(path: string): string | undefined {
  try {
    return readFileSync(join(path, LABEL), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

function lastUsed(path: string): Date {
  try {
    return statSync(join(path, LAST_USED)).mtime;
  } catch {
    // Made before last-use tracking: as old as its folder.
    return statSync(path).mtime;
  }
}

/** Apparent size of every file under path (symlinks counted, not followed). */
export function sizeOf(path: string): number {
  try {
    const st = lstatSync(path);
    if (!st.isDirectory()) return st.size;
    let total = 0;
    for (const name of readdirSync(path)) total += sizeOf(join(path, name));
    return total;
  } catch (e) {
    // A file another run (cargo, go, an eviction) removed between listing and measuring.
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw e;
  }
}

/**
 * An entry used this recently may be in use by another run sharing the
 * cache (a validate touches what it uses when it starts; a cold Rust build
 * takes many minutes), so eviction leaves it alone.
 */
export const IN_USE_WINDOW_MS = 2 * 60 * 60 * 1000;

export interface Eviction {
  removed: Entry[];
  /** Size of what is left. */
  bytes: number;
}

/**
 * A repo's validate entry whose repo is gone: its verdicts and binaries can
 * never be replayed (the entry is keyed by the repo's path), so it is waste
 * whatever the cap. Generating, validating and deleting trial repos would
 * otherwise pile up tens of MiB each until the cap is reached.
 */
function isOrphan(entry: Entry): boolean {
  return entry.kind === "project" && entry.label !== undefined && !existsSync(entry.label);
}

/**
 * Deletes the entries of repos that no longer exist, then least recently
 * used entries until the cache fits in cap bytes. Entries in keep (those
 * this run used) stay even if the cache is still over: deleting what
 * validate is about to need would only re-download it.
 */
export function evict(cap: number, keep: ReadonlySet<string> = usedNow, root: string = cacheDir(), now: number = Date.now()): Eviction {
  const entries = listEntries(root);
  let bytes = entries.reduce((sum, e) => sum + e.bytes, 0);
  const removed: Entry[] = [];
  const remove = (entry: Entry) => {
    rmSync(entry.path, { recursive: true, force: true });
    bytes -= entry.bytes;
    removed.push(entry);
  };
  for (const entry of entries.filter((e) => isOrphan(e) && !keep.has(e.path))) remove(entry);
  for (const entry of entries) {
    if (removed.includes(entry)) continue;
    if (bytes <= cap) break;
    if (keep.has(entry.path) || now - entry.lastUsed.getTime() < IN_USE_WINDOW_MS) continue;
    remove(entry);
  }
  return { removed, bytes };
}

/** Deletes every entry (the whole cache folder). */
export function cleanAll(root: string = cacheDir()): Entry[] {
  const entries = listEntries(root);
  rmSync(root, { recursive: true, force: true });
  return entries;
}

