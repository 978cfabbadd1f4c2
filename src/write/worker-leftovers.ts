import { lstatSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { WORKERS_DIR } from "../render/components.js";
import { realFolder } from "./real-folder.js";

/**
 * What the generated repo's own commands make for one worker outside the
 * files sync tracks, so `remove worker` can take it away with the worker:
 *
 * - cargo's build output (`make build`, `test`, `smoke`, `bench`) in the
 *   workspace's target folder, workers/target (gitignored): every file and
 *   folder cargo names after one of the worker's crate targets (its package,
 *   bin, examples and tests, as its Cargo.toml names them), in each profile;
 * - the logs run.sh and smoke.sh write for it, one file each, replaced on
 *   every run (WORKER_LOGS);
 * - bench.sh's logs (bench/NAME<run>.log), which belong with the results of
 *   the run that wrote them: reported, left in place.
 *
 * Nothing is followed through a symbolic link, and only names this tool's
 * scripts and cargo give are touched; a target folder set elsewhere with
 * CARGO_TARGET_DIR (shared by other projects) is only reported.
 */

/** The folders of run.sh's and smoke.sh's per-service logs (`FOLDER/NAME.log`); a unit test holds the scripts to this. */
export const WORKER_LOGS = [".run", ".smoke"] as const;
/** bench.sh's output folder. */
export const BENCH_DIR = "bench";
/** Where cargo builds the workspace unless CARGO_TARGET_DIR says otherwise (the Makefile's `build`, scripts/lib.sh's workers_target). */
export const CARGO_TARGET = `${WORKERS_DIR}/target`;

export interface Leftovers {
  /** Repo-relative paths removed (or, for a dry run, that would be). */
  removed: string[];
  /** Repo-relative paths left in place, with why. */
  kept: { path: string; why: string }[];
}

/**
 * The crate targets a worker's Cargo.toml names (package, lib, bins, examples, tests), from each given copy of
 * it: the one generated and the one on disk, which the user may have added targets to.
 */
export function crateTargets(name: string, ...cargoTomls: (Buffer | string | undefined)[]): string[] {
  const targets = new Set([name]);
  for (const toml of cargoTomls) {
    if (toml === undefined) continue;
    for (const match of toml.toString().matchAll(/^\s*name\s*=\s*"([A-Za-z0-9_-]+)"/gm)) targets.add(match[1]!.replaceAll("-", "_"));
  }
  return [...targets];
}

/** The worker's Cargo.toml as it is on disk now, if it is a regular file. */
export function cargoTomlOnDisk(dir: string, name: string): Buffer | undefined {
  const file = join(dir, WORKERS_DIR, name, "Cargo.toml");
  return isFile(file) ? readFileSync(file) : undefined;
}

/** Finds (and unless dryRun, removes) what the scripts and cargo made for worker NAME whose crate targets are these. */
export function removeWorkerLeftovers(dir: string, name: string, targets: string[], dryRun: boolean, env: NodeJS.ProcessEnv = process.env): Leftovers {
  const found: Leftovers = { removed: [], kept: [] };
  const take = (path: string) => {
    if (!dryRun) {
      try {
        rmSync(join(dir, ...path.split("/")), { recursive: true, force: true });
      } catch (err) {
        found.kept.push({ path, why: `could not be removed: ${(err as Error).message}` });
        return;
      }
    }
    found.removed.push(path);
  };
  for (const folder of WORKER_LOGS) {
    const path = `${folder}/${name}.log`;
    if (realFolder(dir, folder) && isFile(join(dir, folder, `${name}.log`))) take(path);
  }
  const own = new RegExp(`^(?:lib)?(?:${targets.join("|")})(?:-[0-9a-f]{16})?(?:\\.[a-z]+)?$`);
  if (realFolder(dir, CARGO_TARGET)) {
    for (const profile of list(join(dir, CARGO_TARGET))) {
      const base = `${CARGO_TARGET}/${profile}`;
      // A cargo profile folder (debug, release, a custom one) keeps its fingerprints beside its outputs.
      if (!realFolder(dir, base) || !realFolder(dir, `${base}/.fingerprint`)) continue;
      for (const sub of ["", "deps", "examples", "build", ".fingerprint", "incremental"]) {
        const folder = sub ? `${base}/${sub}` : base;
        if (!realFolder(dir, folder)) continue;
        for (const entry of list(join(dir, folder))) if (own.test(entry)) take(`${folder}/${entry}`);
      }
    }
  }
  const elsewhere = env.CARGO_TARGET_DIR;
  if (elsewhere) found.kept.push({ path: elsewhere, why: `CARGO_TARGET_DIR: cargo may have built ${name} there too; it is shared, so left alone (cargo clean there frees it)` });
  const benchLog = new RegExp(`^${name}(?:-[a-z0-9-]+)?\\.log$`);
  if (realFolder(dir, BENCH_DIR)) {
    for (const entry of list(join(dir, BENCH_DIR))) {
      if (benchLog.test(entry)) found.kept.push({ path: `${BENCH_DIR}/${entry}`, why: "a log of an earlier make bench, kept with that run's results" });
    }
  }
  return found;
}

function list(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

function isFile(file: string): boolean {
  try {
    return lstatSync(file).isFile();
  } catch {
    return false;
  }
}

