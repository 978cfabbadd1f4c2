import { WORKERS_DIR, WORKER_KIT, WORKER_MODEL, SHARED_CRATES } from "../render/components.js";
import type { FileEntry } from "../render/index.js";
import { comparable, inStyle, lineEnding, toLF } from "./eol.js";
import { blobId } from "./ledger.js";
import { storedForm, type FileAction, type MergeResult, type PlanInput } from "./plan.js";

/**
 * Generated files a release moved. Sync meets the old path in the ledger,
 * gone from the new render, and the new path rendered but never written: a
 * team's edit to the old file is carried to the new one by the three-way
 * merge (base: the old file as last generated; ours: the team's old file;
 * theirs: the new render), so the edit lands in the code that is compiled
 * now instead of staying behind in a file nothing reads.
 *
 * Detected by that shape, not by the manifest's generator version: the
 * release that moved them still recorded 0.1.0, as the one before it did.
 */

/**
 * Up to 0.1.0 every worker crate held a copy of the shared code; since the
 * shared crates (572fbe4) it is rendered once in worker-kit and worker-model.
 * Keyed by the path inside workers/NAME/, whatever the worker's name.
 */
const FROM_WORKER_CRATE: ReadonlyMap<string, string> = new Map([
  ...[
    "build/limits.rs",
    "src/metrics.rs",
    "src/priority.rs",
    "src/probe.rs",
    "src/server.rs",
    "src/service/items.rs",
    "src/service/mod.rs",
    "src/service/tests.rs",
    "src/shed.rs",
    "src/shed/lease.rs",
    "src/shed/limit.rs",
    "src/shed/prefix.rs",
    "src/shed/tests.rs",
    "src/telemetry/json.rs",
    "src/telemetry/mod.rs",
    "src/telemetry/names.rs",
    "src/telemetry/otel.rs",
    "src/telemetry/rpc.rs",
    "src/telemetry/tests.rs",
    "tests/model_memory.rs",
    "tests/overload.rs",
  ].map((rel) => [rel, `${WORKERS_DIR}/${WORKER_KIT}/${rel}`] as const),
  // Split into modules since: an edit lands in the part that keeps the most of the old file.
  ["src/uds.rs", `${WORKERS_DIR}/${WORKER_KIT}/src/uds/socket_file.rs`],
  ["src/validate.rs", `${WORKERS_DIR}/${WORKER_KIT}/src/validate/mod.rs`],
  ...["caps", "codegen", "compiled_tests", "eval", "file", "flat", "hash", "oracle_tests", "tests"].map(
    (mod) => [`src/model/${mod}.rs`, `${WORKERS_DIR}/${WORKER_MODEL}/src/${mod}.rs`] as const,
  ),
  ["src/model/mod.rs", `${WORKERS_DIR}/${WORKER_MODEL}/src/lib.rs`],
]);

/**
 * Shared-crate files a release split into a module directory. Left in place,
 * an edited old file would sit next to the new directory and stop the crate
 * compiling (E0761), so its edit is carried to the part that keeps the most of it.
 */
const SPLIT_IN_SHARED: ReadonlyMap<string, string> = new Map(
  [
    ["src/uds.rs", "src/uds/socket_file.rs"],
    ["src/validate.rs", "src/validate/mod.rs"],
  ].map(([from, to]) => [`${WORKERS_DIR}/${WORKER_KIT}/${from}`, `${WORKERS_DIR}/${WORKER_KIT}/${to}`] as const),
);

/** Where a generated file at `path` lives now, if a release moved it. */
export function movedTo(path: string): string | undefined {
  const split = SPLIT_IN_SHARED.get(path);
  if (split) return split;
  const [top, crate, ...rest] = path.split("/");
  if (top !== WORKERS_DIR || crate === undefined || (SHARED_CRATES as readonly string[]).includes(crate)) return undefined;
  return FROM_WORKER_CRATE.get(rest.join("/"));
}

/**
 * The actions for moved files the team edited, by path: the new path, with
 * the edits merged in (or in conflict), and each old path whose edit it now
 * holds, removed. Several workers' copies of one shared file are merged in
 * one after another, the first conflict ending the run; an old file whose
 * edit is not in the new one cleanly is left in place (planned as usual:
 * kept), never deleted.
 */
export async function planMoves(input: PlanInput): Promise<Map<string, FileAction>> {
  const into = new Map<string, string[]>();
  for (const old of Object.keys(input.ledger.files).sort()) {
    const to = movedTo(old);
    if (!to || input.next.has(old) || !input.next.has(to) || input.ledger.files[to] || input.disk(to)) continue;
    if (!edited(old, input)) continue;
    into.set(to, [...(into.get(to) ?? []), old]);
  }
  const actions = new Map<string, FileAction>();
  for (const [to, olds] of into) for (const a of await carry(to, input.next.get(to)!, olds, input)) actions.set(a.path, a);
  return actions;
}

/** Whether the team changed the file at `old` from what was last generated there (line endings aside). */
function edited(old: string, input: PlanInput): boolean {
  const record = input.ledger.files[old]!;
  const ours = input.disk(old);
  if (!ours || record.conflict) return false;
  const clean = storedForm(ours);
  const asGenerated = lineEnding(clean) === "crlf" ? toLF(clean) : clean;
  return blobId(clean) !== record.blob && blobId(asGenerated) !== record.blob;
}

async function carry(to: string, theirs: FileEntry, olds: string[], input: PlanInput): Promise<FileAction[]> {
  const generated = { blob: blobId(theirs.content), mode: theirs.mode };
  let content = theirs.content;
  let style: ReturnType<typeof comparable>["style"] = "lf";
  const carried: string[] = [];
  let conflict: { from: string; content: Buffer; baseMissing: boolean } | undefined;
  for (const old of olds) {
    const { content: mine, style: theirStyle } = comparable(storedForm(input.disk(old)!), theirs.content);
    const base = input.base(input.ledger.files[old]!.blob);
    let merged: MergeResult;
    try {
      merged = await input.merge(mine, base ?? Buffer.alloc(0), content, to);
    } catch (err) {
      merged = { failed: (err as Error).message };
    }
    // Not mergeable line by line: the old file stays where it is, as any edited file sync no longer generates.
    if ("failed" in merged) continue;
    style = theirStyle;
    if (merged.conflicts > 0) {
      conflict = { from: old, content: merged.content, baseMissing: base === undefined };
      break;
    }
    content = merged.content;
    carried.push(old);
  }
  const actions: FileAction[] = carried.map((old) => ({ path: old, status: "removed", remove: true, movedTo: to }));
  if (conflict) {
    const write = { content: inStyle(conflict.content, style), mode: theirs.mode };
    const from = [...carried, conflict.from];
    actions.push({ path: conflict.from, status: "kept", movedTo: to });
    actions.push({ path: to, status: "conflict", write, baseMissing: conflict.baseMissing, movedFrom: from, record: { ...generated, conflict: "markers" } });
  } else if (carried.length > 0) {
    actions.push({ path: to, status: "merged", write: { content: inStyle(content, style), mode: theirs.mode }, movedFrom: carried, record: generated });
  }
  return actions;
}
