import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { UsageError } from "../errors.js";

/**
 * The tool's own cache: fetched buf and actionlint, the Python virtualenvs,
 * the shared Rust build folder and one small entry per validated repo.
 * $XDG_CACHE_HOME/create-hybrid-backend, else ~/.cache/create-hybrid-backend.
 * A relative XDG_CACHE_HOME is ignored, as the XDG spec says: taken as it was,
 * each run cached under its own current folder (a generated repo's too).
 */
export function cacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache");
  return join(base, "create-hybrid-backend");
}

/** The folder of per-repo entries (verdicts and the Go binaries smoke runs). */
export const PROJECTS_DIR = "validate";

export const CAP_ENV = "HYBRID_BACKEND_CACHE_MAX";
export const DEFAULT_CAP_BYTES = 2 * 1024 ** 3;

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** The size cap in bytes: $HYBRID_BACKEND_CACHE_MAX (e.g. 2GiB, 500M, 0), else 2 GiB. */
export function cacheCap(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[CAP_ENV];
  if (raw === undefined || raw.trim() === "") return DEFAULT_CAP_BYTES;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new UsageError(CAP_ENV, raw, "use a size such as 2GiB, 500MiB, 750M or a number of bytes");
  }
  return Math.floor(Number(m[1]) * unit);
}

/** 1536 → "1.5 KiB"; for people, not for parsing. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}
