import { execFileSync } from "node:child_process";
import { existsSync, statfsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { cacheDir } from "../../src/cache/dir.js";
import { RUN_TMP_VAR } from "./temp-dirs.js";
import { E2E_TARGET_DIR } from "./e2e-target.js";

/**
 * What a cold e2e run (empty caches, as on a fresh CI machine) writes to
 * disk, by place, in MiB: a quarter or more above the peaks sampled through
 * clean-clone `bash .ci/run`s with every cache empty. The last, on a 3.6 GiB
 * disk with the rebuilt places spilled to RAM (disk-spill.ts): target 2.6,
 * Go build 3.1 GiB, Go modules 968 MiB (the four examples' go.sum, the Go
 * linters and the collector validator's build), cargo registry 274,
 * staticcheck 83 MiB, tool cache 1.1 GiB, run temp 920 MiB; an earlier one
 * saw the tool cache at 1797 and run temp at 1209 MiB. The latest (stop 53's):
 * target 3.8 GiB, its release dependencies built twice (the e2e cases build
 * with the README's quick profile, the packed case with the repo's own) and
 * two more test binaries per repo (about 55 MB each); Go build 3.4 GiB, tool
 * cache 1.2 GiB, run temp 956 MiB. A CI run once died 38
 * minutes in with ENOSPC and thirty unrelated failures; these budgets turn
 * that into one line at the start, and make a change that grows the
 * footprint fail here instead of on a smaller disk.
 */
export const COLD_RUN_MIB = {
  /** The shared cargo target (E2E_TARGET_DIR). */
  cargoTarget: 4900,
  /** Go's build cache (go env GOCACHE). */
  goBuildCache: 4400,
  /** Go's module cache (go env GOMODCACHE): the generated go.sum files' modules, the Go linters' and the collector validator's. */
  goModCache: 1300,
  /** Cargo's registry ($CARGO_HOME/registry): the crates of the workers' Cargo.lock. */
  cargoRegistry: 400,
  /** staticcheck's own cache (its analysis facts), under the user cache folder. */
  staticcheckCache: 200,
  /** The tool's cache: linters, virtualenvs, validate entries. */
  toolCache: 2300,
  /** The run's temp folder (generated repos, their bin/ and .venv) at its peak. */
  runTemp: 1600,
} as const;

export type Place = keyof typeof COLD_RUN_MIB;

/** Where each budgeted place is on this machine. */
export function places(): Record<Place, string> {
  return {
    // Read now, not at import: disk-setup.ts may have moved it (a spill to RAM).
    cargoTarget: process.env.CARGO_TARGET_DIR ?? E2E_TARGET_DIR,
    goBuildCache: goEnv("GOCACHE"),
    goModCache: goEnv("GOMODCACHE"),
    cargoRegistry: join(process.env.CARGO_HOME || join(homedir(), ".cargo"), "registry"),
    staticcheckCache: join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "staticcheck"),
    toolCache: cacheDir(),
    runTemp: process.env[RUN_TMP_VAR] ?? process.env.TMPDIR ?? "/tmp",
  };
}

function goEnv(name: string): string {
  return execFileSync("go", ["env", name], { encoding: "utf8" }).trim();
}

/** Bytes under path (du's count of blocks in use), 0 if it does not exist yet. */
export function usedBytes(path: string): number {
  if (!existsSync(path)) return 0;
  try {
    return Number(execFileSync("du", ["-sk", path], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\t")[0]) * 1024;
  } catch {
    return 0; // files vanished under du (a build or an eviction): measured next time
  }
}

/** path, or the nearest folder above it that exists (where it would be made). */
export function existingAncestor(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Free bytes for an unprivileged writer on the filesystem that holds path (or would). */
export function freeBytes(path: string): number {
  const s = statfsSync(existingAncestor(path));
  return s.bavail * s.bsize;
}
