import { processIdentity, startTicks, stillRunning } from "./process-identity.js";

/**
 * The names sync gives its temp files, beside the file each is for, with
 * the writing process's id in them, and where it can be known its identity
 * (boot id and start time, process-identity.ts: the same identity a lock
 * records), so a file left by a dead run whose pid was reused since, in
 * this boot or after a reboot, is still known for dead: a file being staged
 * (written, then renamed into place) and a file set aside for removal
 * (renamed back if the run fails, deleted if it succeeds).
 */
export function stagedName(file: string, pid: number = process.pid): string {
  return `${file}.hybrid-backend-${runTag(pid)}.tmp`;
}

export function asideName(file: string, pid: number = process.pid): string {
  return `${file}.hybrid-backend-${runTag(pid)}.removing`;
}

/** PID-BOOT-TICKS (the identity "BOOT/TICKS" with a file-name-safe separator), or PID alone where it cannot be known. */
function runTag(pid: number): string {
  const identity = processIdentity(pid);
  const [boot, ticks] = identity?.split("/") ?? [];
  return boot && ticks && BOOT_ID.test(boot) ? `${pid}-${boot}-${ticks}` : `${pid}`;
}

/** Linux's boot id: a UUID, lower-case hex. */
const BOOT_ID = /^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$/;

/**
 * Exactly the names above, and PID-TICKS (no boot id), which earlier
 * versions wrote: anything else, however close, is not this tool's to touch.
 */
const TEMP_NAME = /^(.+)\.hybrid-backend-([1-9][0-9]{0,9})(?:-([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}))?(?:-(0|[1-9][0-9]{0,19}))?\.(tmp|removing)$/;

export interface TempName {
  /** The file it is for (its name in the same folder). */
  original: string;
  pid: number;
  /** "BOOT/TICKS", as processIdentity gives it, when the name records it. */
  identity?: string;
  /** The start time alone, in names earlier versions wrote (no boot id). */
  ticks?: string;
  /** A file set aside for removal, not one being staged. */
  aside: boolean;
}

export function parseTempName(name: string): TempName | undefined {
  const match = TEMP_NAME.exec(name);
  if (!match) return undefined;
  const [, original, pid, boot, ticks, kind] = match;
  // A boot id without a start time is no name this tool writes.
  if (boot !== undefined && ticks === undefined) return undefined;
  const found: TempName = { original: original!, pid: Number(pid), aside: kind === "removing" };
  if (boot !== undefined) return { ...found, identity: `${boot}/${ticks}` };
  return ticks === undefined ? found : { ...found, ticks };
}

/** Whether the run that named a temp file may still be running: its pid alive, as the process it recorded. */
export function tempOwnerAlive(temp: TempName): boolean {
  if (temp.identity !== undefined) return stillRunning(temp.pid, temp.identity, processIdentity);
  return stillRunning(temp.pid, temp.ticks, startTicks);
}
