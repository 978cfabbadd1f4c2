import { join } from "node:path";
import { CommandFailed } from "./exec.js";
import { attemptLock, describeHolder, holderText, releaseIfOurs, type Holder } from "../write/lock-file.js";

/**
 * One validate at a time uses a shared Rust build folder (rust-build.ts).
 * Cargo locks the folder for each of its own commands, but validate's Rust
 * step is several commands and two file operations around them: prune this
 * repo's crates, lint and test, prune them again, seed the repo's target.
 * Two validates interleaving there (two `npm create` runs on one machine)
 * could each prune the crates the other has just built, or, worse, one
 * could build between the other's prune and its own build and be handed
 * the other repo's worker as fresh (cargo keys a path crate by its relative
 * path and judges it by mtime: rust-lang/cargo#12516). So the whole step
 * holds this lock; a second validate waits its turn, saying for whom. The
 * wait costs little: cargo's own lock already ran their builds one after
 * the other.
 */
export const BUILD_DIR_LOCK = "hybrid-backend-validate.lock";

/** How often a waiting validate looks at the lock again, in milliseconds. */
export const LOCK_POLL_MS = 250;

/**
 * Runs `run` holding the lock of buildDir, waiting while another live
 * validate holds it; a lock whose run died is taken over. `waiting` is
 * called each time the holder it waits for changes, with one line naming
 * it. A lock file that names no run fails the step (CommandFailed). The lock goes when `run` ends, and on process exit (an interrupted
 * validate exits from lifecycle.ts's handler without unwinding).
 */
export async function withBuildDirLock<T>(
  buildDir: string,
  purpose: string,
  waiting: (line: string) => void,
  run: () => Promise<T>,
): Promise<T> {
  const file = join(buildDir, BUILD_DIR_LOCK);
  const mine = holderText(purpose);
  const release = () => releaseIfOurs(file, mine);
  process.on("exit", release);
  try {
    let shown: string | undefined;
    for (;;) {
      const attempt = await attemptLock(file, mine);
      // "no folder": the entry was evicted or cleaned under us; run without
      // the lock rather than fail (cargo recreates the folder).
      if (attempt.kind !== "busy") break;
      // A file this tool did not write (a lock is never seen half written:
      // lock-file.ts) would be waited on forever.
      if (!attempt.holder) throw new CommandFailed(`lock ${file}`, "the file names no run; remove it if no validate is running");
      const line = waitingLine(attempt.holder);
      if (line !== shown) waiting((shown = line));
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
    return await run();
  } finally {
    release();
    process.off("exit", release);
  }
}

function waitingLine(holder: Holder): string {
  const what = holder.purpose ? `the validate of ${holder.purpose}` : "another validate";
  return `waiting for ${what} (${describeHolder(holder)}) to finish with the shared Rust build folder`;
}
