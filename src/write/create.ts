import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import type { FileTree } from "../render/index.js";
import { managedFiles } from "../sync/ledger.js";
import { gitState, initialCommit, mayConvertOnCheckout, startInit, surelyOutsideWorktree, type InitResult } from "./git.js";
import { makeDirs } from "../make-dirs.js";
import { writeObjectsAhead } from "./objects-ahead.js";
import { inspectTarget, refusedTarget, type TargetState } from "./target.js";
import { holdSignals } from "./held-signals.js";
import { LOCK_NAME, acquireRepoLock, type RepoLock } from "./repo-lock.js";
import type { CheckoutForms, Worktree } from "./worktree.js";

export interface CreateOptions {
  /** Initial commit message; undefined skips git entirely. */
  commitMessage?: string;
  /** Start a repository even inside another one's work tree (--git-init). */
  forceGitInit?: boolean;
}

export interface CreateResult {
  dir: string;
  files: number;
  committed: boolean;
  /** The work tree the project landed in, when create left git alone because of it. */
  enclosingRepo?: string;
  /** Files git could not convert to the form it checks out (with git's message): written as generated. */
  notCheckedOut?: { path: string; unconverted: string }[];
}

/**
 * The only code that writes a new project. Files are staged in a hidden
 * folder INSIDE the target and renamed into place, so every rename stays on
 * the target's own filesystem: the target may be a mount point (a container
 * or devcontainer workspace, an attached volume) that can neither be replaced
 * nor renamed into from another filesystem. An error or Ctrl-C part-way
 * removes everything written, leaving the target as it was (or absent).
 *
 * files: the tree, or a pure function rendering it, called once after the
 * target is checked and `git init` has started, so the two overlap.
 */
export async function createProject(
  target: string,
  files: FileTree | (() => FileTree),
  options: CreateOptions = {},
): Promise<CreateResult> {
  const dir = resolve(target);
  const state = inspectTarget(dir);
  // The first folder mkdir made (the target or a missing parent): removed on failure.
  const created = state === "absent" ? makeTarget(dir) : undefined;
  const staging = join(dir, `.hybrid-backend-staging-${process.pid}`);
  const moved: string[] = [];
  const cleanup = () => {
    for (const name of moved) rmSync(join(dir, name), { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
    if (created) rmSync(created, { recursive: true, force: true });
  };
  // Ctrl-C or SIGTERM is only recorded here and acted on at the next
  // checkpoint: render and write are synchronous (a signal waits for them),
  // and git may be running in the staging folder, which cleanup must not race.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
  };
  // One turn of the event loop, so a signal that arrived during synchronous
  // work reaches onSignal; without it, removing the listeners would drop it.
  const checkpoint = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    if (interrupted) throw new Error(`interrupted by ${interrupted}`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let init: Promise<InitResult> | undefined;
  let planned: ReturnType<typeof planGit> | undefined;
  let ahead: Promise<boolean> | undefined;
  let converting: Promise<string[]> | undefined;
  let lock: RepoLock | undefined;
  let held: ReturnType<typeof holdSignals> | undefined;
  try {
    makeStaging(dir, staging);
    // Asking git where the target is and `git init` in the staging folder
    // run while the files are rendered (when given as a function): starting
    // git's process and its mkdirs overlap that work instead of following
    // it. The init is speculative: inside another work tree (the rare case)
    // its .git is dropped again.
    const useGit = options.commitMessage !== undefined;
    planned = useGit ? planGit(dir, state, options) : undefined;
    init = useGit && state !== "git-only" ? startInit(staging) : undefined;
    const tree = typeof files === "function" ? files() : files;
    const plan = planned ? await planned : { init: false };
    const initResult = await init;
    // Git not on PATH: generated all the same, just uncommitted.
    const git = { ...plan, init: plan.init && initResult?.started === true };
    if (git.init && !initResult?.error) ahead = writeObjectsAhead(staging, tree);
    // Written as git would check them out there, as sync writes them (its CRLF, encodings, smudge
    // filters): git is asked which files it may convert while they are written, and those few
    // (usually none) are written again in their checkout form.
    const into = git.init && !initResult?.error ? { top: staging, prefix: "" } : git.enclosing !== undefined ? git.worktree : undefined;
    converting = into && mayConvertOnCheckout(into, [...tree.keys()]);
    writeTree(staging, tree);
    const checkout = into && converting ? await rewriteInCheckoutForm(staging, into, tree, await converting) : undefined;
    await checkpoint();
    if (git.init) {
      if (initResult?.error) throw new Error(initResult.error);
      const written = await ahead;
      await initialCommit(staging, options.commitMessage!, written);
      // The objects written ahead include the snapshot ref; without them, it is made here, as
      // best it can be: sync finds its bases in the initial commit all the same.
      if (!written) await (await import("./snapshot.js")).storeSnapshot({ top: staging, prefix: "" }, managedFiles(tree)).catch(() => false);
    } else if (init) rmSync(join(staging, ".git"), { recursive: true, force: true });
    await checkpoint();
    // From here on the project is in the repository, so it holds the lock sync, add and remove take
    // (repo-lock.ts), where they look for it: the folder that keeps it (a new .git, or the
    // .hybrid-backend of a project outside git) goes first; an enclosing repository has its own.
    // A run busy there refuses create as it would refuse them (exit 2, everything removed).
    const move = (name: string) => {
      renameSync(join(staging, name), join(dir, name));
      moved.push(name);
    };
    const names = readdirSync(staging);
    const first: string[] = names.filter((name) => name === ".git" || name === ".hybrid-backend");
    first.forEach(move);
    held = holdSignals();
    // A new repository's lock is in its .git: known without asking git where.
    lock = await acquireRepoLock(dir, git.init ? join(dir, ".git", LOCK_NAME) : undefined);
    names.filter((name) => !first.includes(name)).forEach(move);
    rmdirSync(staging);
    // Left to an enclosing repository, the project is not committed yet: keep
    // what was generated on the project's snapshot ref, so sync finds its
    // merge bases in git whether or not the team has committed.
    if (git.enclosing !== undefined && !git.init) {
      const { storeSnapshot } = await import("./snapshot.js");
      await storeSnapshot(git.worktree, managedFiles(tree));
    }
    await checkpoint();
    const notCheckedOut = [...(checkout?.failed ?? [])].map(([path, unconverted]) => ({ path, unconverted }));
    return { dir, files: tree.size, committed: git.init, enclosingRepo: git.enclosing, ...(notCheckedOut.length > 0 ? { notCheckedOut } : {}) };
  } catch (err) {
    // git still running (an init, a rev-parse, a fast-import, a check-attr) would recreate
    // the staging folder after cleanup; none rejects.
    await Promise.all([init, planned, ahead, converting]);
    cleanup();
    if (interrupted) process.exit(interrupted === "SIGINT" ? 130 : 143);
    throw err;
  } finally {
    lock?.release();
    held?.release();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The files at paths written again (over writeTree's) as git checks them out in `into`; what git could not check out stays as generated. */
async function rewriteInCheckoutForm(root: string, into: Worktree, tree: FileTree, paths: string[]): Promise<CheckoutForms> {
  if (paths.length === 0) return { forms: new Map(), failed: new Map() };
  const { checkoutForms } = await import("./worktree.js");
  const checkout = await checkoutForms(into, new Map(paths.map((path) => [path, tree.get(path)!.content])));
  writeTree(root, new Map([...checkout.forms].map(([path, content]) => [path, { ...tree.get(path)!, content }])));
  return checkout;
}

/**
 * A target inside an existing work tree (a monorepo's services/alpha, a
 * linked worktree, or a folder holding only the user's own .git) is left to
 * that repository: a nested `git init` would turn the project into an
 * embedded repo the outer one cannot see into. --git-init overrides, except
 * where the target itself is the repository.
 */
async function planGit(dir: string, state: TargetState, options: CreateOptions): Promise<{ init: boolean; enclosing?: string; worktree?: Worktree }> {
  // Outside any repository (the usual case) there is nothing to ask git:
  // whether it is installed shows when its init starts or not.
  if (state !== "git-only" && surelyOutsideWorktree(dir)) return { init: true };
  const { available, worktree } = await gitState(dir);
  if (!available) return { init: false };
  const enclosing = worktree?.top;
  if (state === "git-only") return { init: false, enclosing: enclosing ?? dir, worktree };
  if (enclosing === undefined || options.forceGitInit) return { init: true };
  return { init: false, enclosing, worktree };
}

export function writeTree(root: string, tree: FileTree): void {
  // Folders known to exist: below root, a folder is made with one mkdir once
  // its parent is known, where makeDirs would first stat it (failing, so
  // an exception) and its parent: ~120 stats fewer for a default project.
  const top = resolve(root);
  const made = new Set<string>();
  const folderFor = (folder: string): void => {
    if (made.has(folder)) return;
    if (folder === top || dirname(folder) === folder) {
      makeDirs(folder);
      made.add(folder);
      return;
    }
    folderFor(dirname(folder));
    try {
      mkdirSync(folder);
    } catch (err) {
      // Already there (rewriting a tree written before): fine if it is a folder.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(folder).isDirectory()) throw err;
    }
    made.add(folder);
  };
  // Per mode: whether a new file gets exactly it (the umask clears none of
  // its bits), checked on the first file; if not, each file is chmod-ed.
  const exact = new Map<number, boolean>();
  for (const [path, entry] of tree) {
    const file = join(top, ...path.split("/"));
    folderFor(dirname(file));
    writeFileSync(file, entry.content, { mode: entry.mode });
    let same = exact.get(entry.mode);
    if (same === undefined) exact.set(entry.mode, (same = (statSync(file).mode & 0o7777) === entry.mode));
    if (!same) chmodSync(file, entry.mode);
  }
}

/**
 * The first write inside the target: an existing folder the user may not
 * write to (owned by another user, a read-only mount) refuses it, and that is
 * the user's to change, as for an unwritable parent (makeTarget). A full disk
 * is not a usage error: it stays the machine's own one-line refusal (exit 1).
 */
function makeStaging(dir: string, staging: string): void {
  try {
    mkdirSync(staging);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM" && code !== "EROFS") throw err;
    throw refusedTarget(dir, dir, code);
  }
}

/**
 * The target folder and its missing parents; the first one made, for
 * cleanup. A folder the system refuses (EACCES, a read-only mount, /proc,
 * /sys) is the user's choice to change, so it is a usage error naming it.
 */
function makeTarget(dir: string): string | undefined {
  try {
    return makeDirs(dir);
  } catch (err) {
    const { code, path } = err as NodeJS.ErrnoException;
    const where = path && path !== dir ? ` (at ${path})` : "";
    throw new UsageError("directory", dir, `it cannot be created${where}: ${code ?? "error"}; choose a folder you can write to`);
  }
}
