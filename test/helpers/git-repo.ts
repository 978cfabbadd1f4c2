import { execa } from "execa";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runChange } from "../../src/commands/change.js";
import { runSync } from "../../src/commands/sync.js";
import { parseManifest, type Manifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { withLedger } from "../../src/sync/ledger.js";
import { createProject } from "../../src/write/create.js";
import { captureLog } from "./cli.js";

/**
 * Real repository shapes for the sync tests: real git, real files, the real
 * sync in-process (its --json report parsed), no toolchains.
 */
for (const [key, value] of Object.entries({ GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" })) {
  process.env[key] ??= value;
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await execa("git", args, { cwd })).stdout;
}

export function manifestFor(name: string): Manifest {
  return parseManifest({ name, orchestrator: { module: `example.com/${name}/orchestrator`, ingress: "http" } });
}

/** A generated project at dir, with `create`'s own initial commit or (commit: false) none. */
export async function generate(dir: string, { commit = true, name = "app" } = {}): Promise<void> {
  const manifest = manifestFor(name);
  await createProject(dir, withLedger(render(manifest), manifest), { commitMessage: commit ? "generated" : undefined });
}

/** A repository with a README at root, the way a monorepo starts. */
export async function monorepo(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await git(dir, "init", "-q", "-b", "main");
  writeFileSync(join(dir, "README.md"), "# mono\n");
  await git(dir, "add", "-A");
  await git(dir, "commit", "-qm", "root");
}

export interface SyncReport {
  exit: number;
  files: { path: string; status: string; unresolved?: boolean; generatedBeside?: string; reason?: string }[];
}

export async function sync(dir: string, options: { check?: boolean; force?: boolean } = {}): Promise<{ code: number; out: string; report?: SyncReport }> {
  const { code, out } = await captureLog(() => runSync(dir, { json: !options.check, ...options }));
  return { code, out, report: options.check ? undefined : (JSON.parse(out) as SyncReport) };
}

export async function addWorker(dir: string, name: string): Promise<{ code: number; report: SyncReport }> {
  const { code, out } = await captureLog(() => runChange("add", ["worker", name, dir], { json: true }));
  return { code, report: JSON.parse(out) as SyncReport };
}

export const statusOf = (report: SyncReport, path: string) => report.files.find((f) => f.path === path)?.status;

export const read = (dir: string, path: string) => readFileSync(path.startsWith("/") ? path : join(dir, path));
export const edit = (dir: string, path: string, change: (t: string) => string) =>
  writeFileSync(join(dir, path), change(readFileSync(join(dir, path), "utf8")));
export const modeOf = (dir: string, path: string) => statSync(join(dir, path)).mode & 0o777;

/** Every file under dir (outside .git) with its bytes, to prove a sync left a project alone. */
export function contents(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile() || path.includes("/.git/")) continue;
    out.set(path, readFileSync(path, "base64"));
  }
  return out;
}

/** Files that have a line break that is not CRLF. */
export function notCRLF(dir: string, paths: string[]): string[] {
  return paths.filter((p) => /(^|[^\r])\n/.test(read(dir, p).toString("latin1")));
}
