import { join } from "node:path";
import { UsageError, escapeInvisible } from "../errors.js";
import { commonGitDir } from "./git.js";
import { signalsHeld } from "./held-signals.js";
import { attemptLock, describeHolder, holderText, releaseIfOurs, type Holder } from "./lock-file.js";

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
  const mine = holderText();
  // Listening before the lock exists: with no listener, a signal ends the
  // process at once (the system's default), and one landing between
  // creating the lock and listening would leave the lock behind.
  const lock = releaseOnExit(file, mine);
  try {
    const attempt = await attemptLock(file, mine);
    if (attempt.kind === "taken") return lock;
    if (attempt.kind === "no folder") {
      // No .hybrid-backend folder (and no git): not a generated project, which
      // reading its records reports; nothing can be written there to race on.
      lock.release();
      return { file: undefined, release: () => {} };
    }
    throw busy(file, attempt.holder);
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
    releaseIfOurs(file, mine);
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
  const todo = `another hybrid-backend run (${describeHolder(holder)}) is changing this repository; wait for it, or remove ${file} if no such run is alive`;
  const err = new UsageError("lock", file, todo);
  // The line leads with what happened, not "FILE is not valid": the file is fine, the repository is busy.
  err.message = escapeInvisible(`${file}: ${todo}`);
  return err;
}
