import { linkSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { processIdentity, stillRunning } from "./process-identity.js";

/**
 * An exclusive lock held by one process, as a file naming that process.
 * Git's way (index.lock), with the holder written in so that a second run
 * can say who holds it and take over the lock of a run that died (kill -9,
 * a power cut). Node has no flock, and the lock must also work for the
 * repository lock on disks that have no flock semantics worth trusting
 * (network file systems): a hard link is atomic on all of them.
 *
 * Two users with different answers to "busy": the repository lock
 * (repo-lock.ts) refuses at once, the shared Rust build folder's lock
 * (validate/build-dir-lock.ts) waits its turn.
 */

/** Who holds a lock: what the file says. */
export interface Holder {
  pid: number;
  started: string;
  host: string;
  /** Which process the pid was (process-identity.ts), where that can be known; absent in older runs' locks. */
  process?: string;
  /** What the holder is doing, for a waiting run to show (e.g. the repo it validates). */
  purpose?: string;
}

/** This process as a holder; the text to write into the lock. */
export function holderText(purpose?: string): string {
  const identity = processIdentity(process.pid);
  const me: Holder = {
    pid: process.pid,
    started: new Date().toISOString(),
    host: hostname(),
    ...(identity ? { process: identity } : {}),
    ...(purpose !== undefined ? { purpose } : {}),
  };
  return `${JSON.stringify(me)}\n`;
}

export type Attempt = { kind: "taken" } | { kind: "no folder" } | { kind: "busy"; holder: Holder | undefined };

/**
 * One attempt at the lock, taking over a stale one: "taken" (ours now),
 * "busy" (a live holder, or one we cannot read as a holder and so never
 * take over), or "no folder" (its folder does not exist). A few tries
 * inside: a holder may release, be taken over, or be half written between
 * our looks.
 */
export async function attemptLock(file: string, mine: string): Promise<Attempt> {
  for (let attempt = 1; ; attempt++) {
    const made = create(file, mine);
    if (made !== "exists") return { kind: made };
    const text = read(file);
    const holder = text === undefined ? undefined : parseHolder(text);
    if (attempt >= 5) return { kind: "busy", holder };
    if (text === undefined || text === "") {
      await new Promise((resolve) => setTimeout(resolve, 20)); // released, or being written: look again
      continue;
    }
    if (!holder || alive(holder)) return { kind: "busy", holder };
    takeOver(file, text);
  }
}

/** Removes the lock if it is still ours (mine: the text we wrote), leaving another holder's. */
export function releaseIfOurs(file: string, mine: string): void {
  if (read(file) === mine) unlinkSync(file);
}

/** "pid 123, started 2026-…" (and the host when it is another), or "pid unknown". */
export function describeHolder(holder: Holder | undefined): string {
  if (!holder) return "pid unknown";
  return `pid ${holder.pid}, started ${holder.started}${holder.host !== hostname() ? ` on ${holder.host}` : ""}`;
}

/**
 * Exactly one of any number of runs creates the file, and it appears with
 * its content: written to a file of our own, then hard-linked to the lock's
 * name, which fails if the name exists (as O_EXCL does; an O_EXCL create
 * would let another run read it empty between the create and the write,
 * and that run could not say who holds it). A disk without hard links gets
 * O_EXCL itself.
 */
function create(file: string, content: string): "taken" | "exists" | "no folder" {
  const own = `${file}.${process.pid}`;
  try {
    writeFileSync(own, content, { mode: 0o644 });
    try {
      linkSync(own, file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw err;
      writeFileSync(file, content, { flag: "wx", mode: 0o644 });
    }
    return "taken";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return "exists";
    if (code === "ENOENT" || code === "ENOTDIR") return "no folder";
    throw err;
  } finally {
    rmSync(own, { force: true });
  }
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** undefined for a file we cannot read as a holder (being written this instant, or not ours): never taken over. */
function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    const processOk = value.process === undefined || typeof value.process === "string";
    const purposeOk = value.purpose === undefined || typeof value.purpose === "string";
    if (Number.isSafeInteger(value.pid) && value.pid! > 0 && typeof value.started === "string" && typeof value.host === "string" && processOk && purposeOk) {
      return value as Holder;
    }
  } catch {
    /* not a holder */
  }
  return undefined;
}

/**
 * Whether the run that took the lock may still be running. Only this host
 * can say no: its pid is dead (ESRCH), or now names another process (the
 * pid was reused: its recorded identity differs, process-identity.ts).
 * Another host's pid (a shared disk) cannot be asked.
 */
function alive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  return stillRunning(holder.pid, holder.process, processIdentity);
}

/**
 * Removes the stale lock whose text we read, and only that one: two runs
 * may find it stale at once, and the later must not delete the lock the
 * earlier has just taken. Renamed aside first (atomic), then compared: a
 * different text is a live run's lock, put back where it was (link fails if
 * yet another run holds the name meanwhile; that run then holds it).
 */
function takeOver(file: string, staleText: string) {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // another run removed it first
    throw err;
  }
  if (read(aside) !== staleText) {
    try {
      linkSync(aside, file);
    } catch {
      /* the name is taken again: that run holds the lock */
    }
  }
  unlinkSync(aside);
}
