import { startTicks } from "./process-identity.js";

/**
 * The names sync gives its temp files, beside the file each is for, with
 * the writing process's id in them, and where it can be known its start
 * time (process-identity.ts), so a file left by a dead run whose pid was
 * reused since is still known for dead: a file being staged (written, then
 * renamed into place) and a file set aside for removal (renamed back if
 * the run fails, deleted if it succeeds).
 */
export function stagedName(file: string, pid: number = process.pid): string {
  return `${file}.hybrid-backend-${runTag(pid)}.tmp`;
}

export function asideName(file: string, pid: number = process.pid): string {
  return `${file}.hybrid-backend-${runTag(pid)}.removing`;
}

/** PID-TICKS, or PID alone where the start time cannot be known (and in names older runs left). */
function runTag(pid: number): string {
  const ticks = startTicks(pid);
  return ticks ? `${pid}-${ticks}` : `${pid}`;
}

/** Exactly the names above: anything else, however close, is not this tool's to touch. */
const TEMP_NAME = /^(.+)\.hybrid-backend-([1-9][0-9]{0,9})(?:-(0|[1-9][0-9]{0,19}))?\.(tmp|removing)$/;

/**
 * The file a temp name is for (its name in the same folder), the pid that
 * made it and its start time if recorded, and whether it is a set-aside file.
 */
export function parseTempName(name: string): { original: string; pid: number; ticks?: string; aside: boolean } | undefined {
  const match = TEMP_NAME.exec(name);
  if (!match) return undefined;
  const found = { original: match[1]!, pid: Number(match[2]), aside: match[4] === "removing" };
  return match[3] === undefined ? found : { ...found, ticks: match[3] };
}
