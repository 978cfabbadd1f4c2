import { resolve } from "node:path";
import { EXIT, UsageError } from "../errors.js";
import { flagField } from "../manifest-faults.js";
import { human } from "../human.js";
import { shownPath } from "../shown-path.js";
import { CI_PROVIDERS, MANIFEST_FILE, TRANSPORTS, parseManifest, type Manifest } from "../manifest.js";
import { WORKERS_DIR } from "../render/components.js";
import { render } from "../render/index.js";
import { parseRecordedManifest } from "../manifest-migrations.js";
import { withRepoLock } from "../write/repo-lock.js";
import { readRecords } from "../write/repo.js";
import { cargoTomlOnDisk, crateTargets, removeWorkerLeftovers } from "../write/worker-leftovers.js";
import { locate } from "../write/worktree.js";
import type { SyncConflict } from "../sync/conflicts.js";
import { changeSteps } from "./next-steps.js";
import { syncIn, type Afterword, type SyncOptions } from "./sync.js";

/**
 * `add` / `remove`: one edit to the manifest, then the same sync a hand edit
 * of hybrid-backend.json would need. Nothing is written when the edit is
 * invalid: the new manifest is checked by the one schema first. The
 * repository's lock is held from before the manifest is read until the sync
 * has written (two runs editing one manifest would lose an edit), except for
 * --dry-run, which only reads.
 */
export async function runChange(
  verb: "add" | "remove",
  [kind, value, dir]: string[],
  options: Omit<SyncOptions, "manifest" | "check" | "command" | "after">,
  transport?: string,
): Promise<number> {
  const target = resolve(dir ?? ".");
  const change = async () => {
    const { manifest: current, notices: migrated } = parseRecordedManifest((await readRecords(target, await locate(target))).manifestJson);
    const edited = edit(verb, kind!, value!, current, transport);
    const manifest = parseEdited(edited, kind!, value!);
    // Read before the sync removes the worker's Cargo.toml: its targets name its build output.
    const targets = verb === "remove" && kind === "worker" ? workerTargets(target, value!, current) : undefined;
    const after = ({ dryRun, code, conflicts, kept }: { dryRun: boolean; code: number; conflicts: SyncConflict[]; kept: string[] }): Afterword => {
      const lines: string[] = [];
      let json: Record<string, unknown> = {};
      if (targets) {
        const leftovers = removeWorkerLeftovers(target, value!, targets, dryRun);
        json = { leftovers };
        if (leftovers.removed.length > 0) {
          lines.push(`  ${dryRun ? "would remove" : "removed"} ${value}'s build output and logs (${leftovers.removed.length}): ${summarize(leftovers.removed)}`);
          if (options.verbose) for (const path of leftovers.removed) lines.push(human`  ${"removed".padEnd(12)} ${path}`);
        }
        for (const kept of leftovers.kept) lines.push(human`  left         ${kept.path}  (${kept.why})`);
        // Outside the repo: compose names its images PROJECT-SERVICE (docker-compose.yml's name: is the project's).
        if (current.docker) {
          const image = `${current.name}-${value}`;
          lines.push(human`  left         docker image ${image}, if make docker or make up built it (docker compose down --remove-orphans, then docker image rm ${image})`);
        }
      }
      // A conflict leaves the change made and the file to the user: its steps come first.
      const next = changeSteps(verb, kind as "worker" | "ci", value!, manifest, shownPath(target, dir ?? "."), conflicts, kept, current);
      if (!dryRun && (code === EXIT.ok || conflicts.length > 0)) lines.push("", "Next:", ...next);
      return { lines, json: { ...json, next: next.map((l) => l.trim()) } };
    };
    return syncIn(target, { ...options, manifest, migrated, typedDir: dir, command: `${verb} ${kind} ${value}`, after });
  };
  return options.dryRun ? change() : withRepoLock(target, change);
}

function edit(verb: "add" | "remove", kind: string, value: string, m: Manifest, transport?: string): unknown {
  const copy = structuredClone(m) as Manifest;
  if (transport !== undefined && kind !== "worker") throw new UsageError(flagField("--transport"), transport, "only add worker takes it (the new worker's transport)");
  if (transport !== undefined && !(TRANSPORTS as readonly string[]).includes(transport)) {
    throw new UsageError(flagField("--transport"), transport, `allowed: ${TRANSPORTS.join(", ")}`);
  }
  if (kind === "worker") {
    const exists = copy.workers.some((w) => w.name === value);
    if (verb === "add") {
      if (exists) throw new UsageError("worker NAME", value, `a worker with that name exists (${names(copy)})`);
      // Without --transport the new worker runs as the primary does; a tcp worker
      // beside a uds primary needed a hand edit of hybrid-backend.json before.
      copy.workers.push({ ...copy.workers[0]!, name: value, ...(transport ? { transport: transport as Manifest["workers"][number]["transport"] } : {}) });
    } else {
      if (!exists) throw new UsageError("worker NAME", value, `no such worker; workers: ${names(copy)}`);
      if (copy.workers.length === 1) throw new UsageError("worker NAME", value, "it is the only worker; a repo needs at least one");
      copy.workers = copy.workers.filter((w) => w.name !== value);
    }
    return copy;
  }
  if (kind === "ci") {
    const providers = copy.ci.providers as string[];
    if (!(CI_PROVIDERS as readonly string[]).includes(value)) {
      throw new UsageError("ci PROVIDER", value, `allowed: ${CI_PROVIDERS.join(", ")}`);
    }
    if (verb === "add") {
      if (providers.includes(value)) throw new UsageError("ci PROVIDER", value, `already configured (${providers.join(", ")})`);
      providers.push(value);
    } else {
      if (!providers.includes(value)) throw new UsageError("ci PROVIDER", value, `not configured; configured: ${providers.join(", ") || "none"}`);
      copy.ci.providers = providers.filter((p) => p !== value) as Manifest["ci"]["providers"];
    }
    return copy;
  }
  throw new UsageError("kind", kind, "allowed: worker, ci");
}

/** Schema errors about the new entry name the argument the user typed. */
function parseEdited(edited: unknown, kind: string, value: string): Manifest {
  try {
    return parseManifest(edited, MANIFEST_FILE);
  } catch (err) {
    if (err instanceof UsageError && kind === "worker" && /\bworkers\b/.test(err.field)) {
      throw new UsageError("worker NAME", value, err.allowed);
    }
    throw err;
  }
}

/** The worker's crate targets as generated and as on disk. */
function workerTargets(dir: string, name: string, m: Manifest): string[] {
  return crateTargets(name, render(m).get(`${WORKERS_DIR}/${name}/Cargo.toml`)?.content, cargoTomlOnDisk(dir, name));
}

/** Paths by folder with a count, so cargo's dozens of files read as a line: "workers/target/release (9), .run (1)". */
function summarize(paths: string[]): string {
  const folders = new Map<string, number>();
  for (const path of paths) {
    const folder = path.split("/").slice(0, path.startsWith(`${WORKERS_DIR}/target/`) ? 3 : -1).join("/");
    folders.set(folder, (folders.get(folder) ?? 0) + 1);
  }
  return [...folders].map(([folder, n]) => human`${folder}/ (${String(n)})`).join(", ");
}

function names(m: Manifest): string {
  return m.workers.map((w) => w.name).join(", ");
}
