import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { GENERATOR_VERSION } from "../version.js";
import type { Binaries } from "./steps.js";
import { PROJECTS_DIR, cacheDir } from "../cache/dir.js";
import { touchEntry } from "../cache/entries.js";
import { makeDirs } from "../make-dirs.js";

/**
 * Verdicts of the last passing validate of a repo, keyed by a fingerprint of
 * every file in it plus the toolchain versions, like `go test`'s result cache:
 * on an unchanged tree the lint, build and test verdicts are replayed and only
 * the live smoke test runs again; any change reruns every step. The built
 * binaries the smoke test needs are checked to be the very files that passed.
 */

/** Build output and local state, not inputs. */
const IGNORED = new Set([".git", "target", "node_modules", ".venv", ".smoke", "bin", "bench", ".cache"]);

/** The repo's entry in the tool's cache (marked used, labelled with the repo's path). */
export function repoStateDir(dir: string): string {
  const id = createHash("sha256").update(dir).digest("hex").slice(0, 16);
  return touchEntry(join(cacheDir(), PROJECTS_DIR, id), dir);
}

export function fingerprint(dir: string, toolVersions: string[]): string {
  const hash = createHash("sha256").update(`${GENERATOR_VERSION}\0${toolVersions.join("\0")}\0`);
  for (const file of listInputs(dir)) {
    hash.update(`${relative(dir, file)}\0`);
    hash.update(readFileSync(file));
    hash.update(`\0${statSync(file).mode & 0o111 ? "x" : "-"}\0`);
  }
  return hash.digest("hex");
}

function listInputs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (IGNORED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listInputs(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

interface Stamp {
  path: string;
  size: number;
  mtimeMs: number;
}

interface Record {
  fingerprint: string;
  binaries: Binaries;
  stamps: Stamp[];
}

const recordFile = (dir: string) => join(repoStateDir(dir), "verdicts.json");

/** The binaries of the last pass, if the tree is unchanged and they are untouched. */
export function replay(dir: string, print: string): Binaries | undefined {
  const file = recordFile(dir);
  if (!existsSync(file)) return undefined;
  let record: Record;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as Record;
  } catch {
    return undefined;
  }
  if (record.fingerprint !== print) return undefined;
  return record.stamps.every((s) => sameStamp(s, stamp(s.path))) ? record.binaries : undefined;
}

export function remember(dir: string, print: string, binaries: Binaries): void {
  const goCommands = binaries.goBin && existsSync(binaries.goBin) ? readdirSync(binaries.goBin).map((f) => join(binaries.goBin!, f)) : [];
  const paths = [...goCommands, ...(binaries.workers ?? []).map((w) => w.bin)];
  const stamps = paths.map(stamp).filter((s): s is Stamp => s !== undefined);
  makeDirs(repoStateDir(dir));
  writeFileSync(recordFile(dir), JSON.stringify({ fingerprint: print, binaries, stamps } satisfies Record));
}

function stamp(path: string): Stamp | undefined {
  try {
    const s = statSync(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameStamp(a: Stamp, b: Stamp | undefined): boolean {
  return b !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;
}
