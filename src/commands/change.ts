import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { CI_PROVIDERS, MANIFEST_FILE, parseManifest, type Manifest } from "../manifest.js";
import { withRepoLock } from "../write/repo-lock.js";
import { readRecords } from "../write/repo.js";
import { locate } from "../write/worktree.js";
import { syncIn, type SyncOptions } from "./sync.js";

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
  options: Omit<SyncOptions, "manifest" | "check">,
): Promise<number> {
  const target = resolve(dir ?? ".");
  const change = async () => {
    const current = parseManifest((await readRecords(target, await locate(target))).manifestJson, MANIFEST_FILE);
    const edited = edit(verb, kind!, value!, current);
    const manifest = parseEdited(edited, kind!, value!);
    return syncIn(target, { ...options, manifest });
  };
  return options.dryRun ? change() : withRepoLock(target, change);
}

function edit(verb: "add" | "remove", kind: string, value: string, m: Manifest): unknown {
  const copy = structuredClone(m) as Manifest;
  if (kind === "worker") {
    const exists = copy.workers.some((w) => w.name === value);
    if (verb === "add") {
      if (exists) throw new UsageError("worker NAME", value, `a worker with that name exists (${names(copy)})`);
      copy.workers.push({ ...copy.workers[0]!, name: value });
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

function names(m: Manifest): string {
  return m.workers.map((w) => w.name).join(", ");
}
