import { readFileSync } from "node:fs";

/**
 * Which process a pid names, beyond the pid: pids are reused, so a lock or
 * a temp file whose run died may carry the pid of a process started since,
 * and judged by the pid alone it would never be taken over or cleared.
 * On Linux, a process's start time (field 22 of /proc/PID/stat, clock
 * ticks since boot) tells the two apart: a reused pid starts later. Other
 * systems have no such file; there these return undefined and the callers
 * judge by the pid (and the host) alone, as before.
 */

/** The start time of the process with this pid, in clock ticks since boot, or undefined (not Linux, no such process). */
export function startTicks(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // Field 2, the command name, is in parentheses and may hold spaces and parentheses itself: count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (the state), so field 22 is fields[19].
  const ticks = fields[19];
  return ticks && /^[0-9]+$/.test(ticks) ? ticks : undefined;
}

let bootId: string | undefined | null = null;

/** This boot's id (Linux): ticks since boot start again at each boot, so a lock that outlived a reboot records which. */
function currentBoot(): string | undefined {
  if (bootId === null) {
    try {
      bootId = readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim() || undefined;
    } catch {
      bootId = undefined;
    }
  }
  return bootId;
}

/** "BOOT_ID/TICKS" for the process with this pid, or undefined where that cannot be known. */
export function processIdentity(pid: number): string | undefined {
  const ticks = startTicks(pid);
  const boot = currentBoot();
  return ticks && boot ? `${boot}/${ticks}` : undefined;
}

/**
 * Whether the process that recorded (pid, identity) may still be running:
 * a pid known dead (ESRCH) is not, nor one whose process now has another
 * identity (the pid was reused). EPERM is a live process of another user.
 * An identity not recorded (an older run's file) or not knowable here
 * leaves the pid alone to decide.
 */
export function stillRunning(pid: number, identity: string | undefined, identityOf: (pid: number) => string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  if (identity === undefined) return true;
  const now = identityOf(pid);
  return now === undefined || now === identity;
}
