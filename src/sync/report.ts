import { human } from "../human.js";
import { besidePath } from "./conflicts.js";
import type { Drift, FileAction, Status } from "./plan.js";
import { selfCommand } from "../self-command.js";
import { GENERATOR_VERSION } from "../version.js";

const ORDER: Status[] = ["conflict", "merged", "updated", "added", "restored", "removed", "kept", "kept-deleted", "unchanged"];

const NOTE: Partial<Record<Status, string>> = {
  conflict:
    "both you and the templates changed these: resolve the <<<<<<< markers (or, for FILE.generated, take what you need from it and delete it), then commit; sync exits 3 until then",
  merged:
    "you edited these and the templates changed them too: merged without a conflict, your edits kept; a clean merge can still be wrong (a YAML block, a duplicated step), so read `git diff` of each before you commit",
  "kept-deleted": "you deleted these; left deleted (sync --force brings them back)",
  kept: "no longer generated, but you edited them: left in place and no longer tracked",
};

export function countByStatus(actions: FileAction[]): Partial<Record<Status, number>> {
  const counts: Partial<Record<Status, number>> = {};
  for (const a of actions) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

/** The statuses that ask something of the user: always listed in full, the others only with --verbose. */
const NEEDS_YOU: ReadonlySet<Status> = new Set(["conflict", "merged", "kept", "kept-deleted"]);

/** A file a release moved is listed too: the team's edit is now in another file than the one they made it in. */
function needsYou(a: FileAction): boolean {
  return NEEDS_YOU.has(a.status) || a.movedTo !== undefined || a.movedFrom !== undefined;
}

export interface ReportStyle {
  /** What ran, for the first line: "sync" (the default), or e.g. "add worker pricing". */
  command?: string;
  /** Every file that is not plainly unchanged, grouped; otherwise counts, and only the files that need the user. */
  verbose?: boolean;
}

/**
 * Human report: a summary line of counts, then the files that need the user
 * (conflicts, edited files merged or left in place, deleted files left deleted) in full;
 * with verbose (and always for --dry-run, a preview) every file that changed.
 */
export function formatSyncReport(dir: string, actions: FileAction[], dryRun: boolean, notCheckedOut: { path: string; unconverted?: string }[] = [], style: ReportStyle = {}): string {
  const counts = countByStatus(actions);
  const summary = ORDER.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`).join(", ");
  const command = `${style.command ?? "sync"}${dryRun ? " --dry-run" : ""}`;
  const where = style.command === undefined ? human` ${dir}` : dir === "." ? "" : human` in ${dir}`;
  const every = style.verbose || dryRun;
  const hidden = every ? 0 : actions.filter((a) => a.status !== "unchanged" && !needsYou(a)).length;
  const lines = [`${command}${where}: ${summary || "nothing generated"}${hidden > 0 ? " (--verbose lists every file)" : ""}`];
  for (const status of ORDER) {
    if (status === "unchanged") continue;
    const group = actions.filter((a) => a.status === status && (every || needsYou(a)));
    if (group.length === 0) continue;
    if (NOTE[status]) lines.push(`  (${NOTE[status]})`);
    for (const a of group) lines.push(`  ${status.padEnd(12)} ${human`${a.path}`}${detail(a)}`);
  }
  lines.push(...formatUnconverted(actions), ...formatUnconverted(notCheckedOut, CHECKOUT_NOTE));
  return lines.join("\n");
}

/**
 * Files git could not convert to the form it stores (e.g. bytes not in the
 * working-tree-encoding .gitattributes names): sync compared them as their
 * bytes, which it says, with git's own words, whatever their status.
 */
export function formatUnconverted(files: { path: string; unconverted?: string }[], note: string = STORED_NOTE): string[] {
  const hit = files.filter((f) => f.unconverted);
  if (hit.length === 0) return [];
  const lines = [`  (${note})`];
  for (const f of hit) lines.push(human`  unconverted  ${f.path}  (git: ${f.unconverted})`);
  return lines;
}

const STORED_NOTE = "git could not convert these to the form it stores, so sync compared their bytes as they are on disk; fix the file or its .gitattributes rule";

/** The other direction: files sync wrote that git could not convert to the form it checks out (a smudge filter failed), said the same way. */
export const CHECKOUT_NOTE =
  "git could not convert these to the form it checks out, so sync wrote them as git stores them; fix the filter or the .gitattributes rule, then git checkout -- FILE";

function detail(a: FileAction): string {
  if (a.unresolved) return "  (unresolved, left by an earlier sync)";
  if (a.beside) return human`  (cannot be merged: ${a.reason}; new version written to ${besidePath(a.path)})`;
  if (a.baseMissing) return "  (last generated version not found: whole file marked)";
  if (a.movedFrom) return human`  (your edits to ${a.movedFrom.join(", ")}, which moved here, merged in)`;
  if (a.movedTo && a.status === "kept") return human`  (moved to ${a.movedTo}, where your edit is in conflict; delete this once that is resolved)`;
  if (a.movedTo) return human`  (moved to ${a.movedTo}, with your edit)`;
  return "";
}

/**
 * The --check report. recorded is the generator release the manifest names:
 * when another release ran the check, its files can differ for that reason
 * alone, and its own sync would upgrade the repo, so both ways are named.
 */
export function formatDrift(dir: string, drift: Drift[], unconverted: { path: string; unconverted?: string }[] = [], recorded: string = GENERATOR_VERSION): string {
  if (drift.length === 0) return [human`sync --check ${dir}: generated files are current`, ...formatUnconverted(unconverted)].join("\n");
  const conflicts = drift.filter((d) => d.change === "conflict").length;
  const stale = drift.length - conflicts;
  const fix =
    recorded === GENERATOR_VERSION
      ? `run \`${selfCommand()} sync\` and commit`
      : human`checked by release ${GENERATOR_VERSION}, while the repo records ${recorded}: \`make sync\` re-syncs with ${recorded}, \`${selfCommand()} sync\` upgrades the repo to ${GENERATOR_VERSION}`;
  const parts = [
    ...(stale > 0 ? [`${stale} generated file(s) are stale; ${fix}`] : []),
    ...(conflicts > 0 ? [`${conflicts} file(s) have unresolved sync conflicts`] : []),
  ];
  const lines = [`sync --check ${human`${dir}`}: ${parts.join("; ")}`];
  for (const d of drift) lines.push(`  ${d.change.padEnd(8)} ${human`${d.path}`}`);
  lines.push(...formatUnconverted(unconverted));
  return lines.join("\n");
}
