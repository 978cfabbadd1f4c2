import { linkSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { UsageError, escapeInvisible } from "../errors.js";
import { commonGitDir } from "./git.js";
import { signalsHeld } from "./held-signals.js";
import { processIdentity, stillRunning } from "./process-identity.js";

/**
 * One run at a time changes a repository. Two at once each read the same
 * manifest and ledger and the last to write won: `add worker alpha & add
 * worker beta` left beta's worker recorded and alpha's files untracked, or
 * failed in git (both moving the snapshot ref). A writing run (sync, add,
 * remove) holds this lock from before it reads the manifest until it exits;
 * read-only runs (sync --check, --dry-run, validate) take none.
 *
 * Git's way: a file created exclusively (O_EXCL) in the git dir, so it is
 * never in the work tree, holding who made it. The repository's common git
 * dir, not the worktree's own (`--git-path`): the snapshot refs every
 * writing run moves are shared by all linked worktrees, and a project in a
 * monorepo's folder shares the enclosing repository's. A project outside any
 * git work tree (create --no-git) keeps it beside its ledger instead.
 */
export const LOCK_NAME = "hybrid-backend.lock";

/** Who holds a lock: what the file says. */
interface Holder {
  pid: number;
  started: string;
  host: string;
  /** Which process the pid was (process-identity.ts), where that can be known; absent in older runs' locks. */
  process?: string;
}

export interface RepoLock {
  /** Where the lock is, or undefined when there was nowhere to take it (see lockFile). */
  file: string | undefined;
  release(): void;
}

/** Runs `run` holding the repository's lock, released however it ends. */
export async function withRepoLock<T>(dir: string, run: () => Promise<T>): Promise<T> {
  const lock = await acquireRepoLock(dir);
  try {
    return await run();
  } finally {
    lock.release();
  }
}

/**
 * Takes the lock, or refuses (UsageError, exit 2) while another live run
 * holds it. A lock whose run is gone (its pid not alive on this host, or
 * alive as another process) is stale and taken over. knownFile: where
 * lockFile would put it, when the caller knows (create, in the repository
 * it has just made). Released by release(), and on any exit the process
 * takes meanwhile: Ctrl-C or SIGTERM (exit 130 / 143), process.exit.
 */
export async function acquireRepoLock(dir: string, knownFile?: string): Promise<RepoLock> {
  const file = knownFile ?? (await lockFile(dir));
  const identity = processIdentity(process.pid);
  const me: Holder = { pid: process.pid, started: new Date().toISOString(), host: hostname(), ...(identity ? { process: identity } : {}) };
  const mine = `${JSON.stringify(me)}\n`;
  // Listening before the lock exists: with no listener, a signal ends the
  // process at once (the system's default), and one landing between
  // creating the lock and listening would leave the lock behind.
  const lock = releaseOnExit(file, mine);
  try {
    // A few tries: a holder may release, be taken over or (on a disk without
    // hard links) be half written between our attempts.
    for (let attempt = 1; ; attempt++) {
      const held = create(file, mine);
      if (held === "created") return lock;
      if (held === "no folder") {
        lock.release();
        return { file: undefined, release: () => {} };
      }
      const text = read(file);
      const holder = text === undefined ? undefined : parseHolder(text);
      if (attempt >= 5) throw busy(file, holder);
      if (text === undefined || text === "") {
        await new Promise((resolve) => setTimeout(resolve, 20)); // released, or being written: look again
        continue;
      }
      if (!holder || alive(holder)) throw busy(file, holder);
      takeOver(file, text);
    }
  } catch (err) {
    lock.release(); // the holder's lock stays: release removes only ours
    throw err;
  }
}

/**
 * The repository's common git dir (`git rev-parse --git-common-dir`, which
 * follows GIT_DIR and a project's enclosing repository), else the project's
 * .hybrid-backend folder (no git, or not in a work tree).
 */
async function lockFile(dir: string): Promise<string> {
  const common = await commonGitDir(dir);
  return common ? join(common, LOCK_NAME) : join(dir, ".hybrid-backend", LOCK_NAME);
}

/**
 * Exactly one of any number of runs creates the file, and it appears with
 * its content: written to a file of our own, then hard-linked to the lock's
 * name, which fails if the name exists (as O_EXCL does; an O_EXCL create
 * would let another run read it empty between the create and the write,
 * and that run could not say who holds it). A disk without hard links gets
 * O_EXCL itself.
 */
function create(file: string, content: string): "created" | "exists" | "no folder" {
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
    return "created";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return "exists";
    // No .hybrid-backend folder (and no git): not a generated project, which
    // reading its records reports; nothing can be written there to race on.
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
    if (Number.isSafeInteger(value.pid) && value.pid! > 0 && typeof value.started === "string" && typeof value.host === "string" && processOk) {
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

/**
 * Removes the lock (if it is ours) on release() or on any exit; a signal
 * outside applySync's held section exits at once, releasing it.
 */
function releaseOnExit(file: string, mine: string): RepoLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    // Only our own lock (a busy refusal leaves the holder's). Removed before
    // the listeners go, so no signal finds the lock unguarded.
    if (read(file) === mine) unlinkSync(file);
    process.off("exit", release);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  // A listener replaces Node's default exit on these signals, so this one
  // exits itself, except while applySync holds signals (finishing its
  // renames): it exits at its checkpoint, and the exit listener releases
  // the lock then.
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalsHeld()) return;
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("exit", release);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return { file, release };
}

/** The refusal: one line naming the lock file and its run, and what to do. */
function busy(file: string, holder: Holder | undefined): UsageError {
  const who = holder ? `pid ${holder.pid}, started ${holder.started}${holder.host !== hostname() ? ` on ${holder.host}` : ""}` : "pid unknown";
  const todo = `another hybrid-backend run (${who}) is changing this repository; wait for it, or remove ${file} if no such run is alive`;
  const err = new UsageError("lock", file, todo);
  // The line leads with what happened, not "FILE is not valid": the file is fine, the repository is busy.
  err.message = escapeInvisible(`${file}: ${todo}`);
  return err;
}
