import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Worktree } from "./worktree.js";

interface GitResult {
  /** Undefined when git did not start (not on PATH, not executable). */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/**
 * Runs git with node:child_process rather than execa: create needs only an
 * exit code and the output, and loading execa cost it ~30 ms, about a tenth
 * of its run. Never rejects.
 */
function git(args: string[], cwd: string, input?: string): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = execFile("git", args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      resolve({ exitCode: err ? (typeof code === "number" ? code : undefined) : 0, stdout, stderr });
    });
    // A git that did not start (or exited early) closes its stdin: the callback above reports it.
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
  });
}

/** Whether git runs, and the work tree holding dir (undefined: none). */
export interface GitState {
  available: boolean;
  worktree?: Worktree;
}

/**
 * One `git rev-parse` answers both (a missing git fails to start), where a
 * `git --version` first cost create a process more.
 */
export async function gitState(dir: string): Promise<GitState> {
  const result = await git(["rev-parse", "--is-inside-work-tree", "--show-toplevel", "--show-prefix"], dir);
  if (result.exitCode === undefined) return { available: false };
  if (result.exitCode !== 0) return { available: true };
  const [inside, top, prefix = ""] = result.stdout.split("\n");
  if (inside !== "true" || !top) return { available: true };
  return { available: true, worktree: { top, prefix } };
}

/**
 * The repository's common git dir (shared by its linked worktrees) when dir
 * is inside a work tree, else undefined (no git, or not in a work tree).
 */
export async function commonGitDir(dir: string): Promise<string | undefined> {
  const result = await git(["rev-parse", "--is-inside-work-tree", "--git-common-dir"], dir);
  const [inside, common] = result.exitCode === 0 ? result.stdout.split("\n") : [];
  return inside === "true" && common ? resolve(dir, common) : undefined;
}

/**
 * Whether git could not place dir in any work tree, known without running
 * it: no folder from dir up holds a `.git` or looks like a repository itself
 * (HEAD and objects/), and no GIT_DIR / GIT_WORK_TREE points elsewhere. Any
 * hint of a repository (false) leaves the question to `git rev-parse`. Saves
 * create one git process in the usual case, a new folder outside any repo.
 */
export function surelyOutsideWorktree(dir: string): boolean {
  if (process.env.GIT_DIR || process.env.GIT_WORK_TREE) return false;
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, ".git")) || (existsSync(join(d, "HEAD")) && existsSync(join(d, "objects")))) return false;
    if (dirname(d) === d) return true;
  }
}

/** How `git init` went: whether git started at all, and why it failed if it did. */
export interface InitResult {
  started: boolean;
  error?: string;
}

/**
 * Starts `git init` of a new repository at dir, so it runs while the files
 * are being written (it touches only dir/.git).
 */
export async function startInit(dir: string): Promise<InitResult> {
  const result = await git(["init", "-q", "-b", "main", dir], dir);
  if (result.exitCode === undefined) return { started: false };
  return result.exitCode === 0 ? { started: true } : { started: true, error: `git init failed: ${lastLine(result.stderr)}` };
}

/**
 * The initial commit: `git add -A` and `git commit`, as a user would run them
 * (their identity, signing and commit settings, an index with stat data), so
 * the repository is the one they would have made. Making the commit with
 * plumbing (fast-import, or hash-object/mktree/commit-tree) would bypass what
 * `git commit` honours (commit.gpgSign, the post-commit hook); fast-import
 * only writes the objects ahead (objects-ahead.ts), when objectsAhead says
 * it did. --no-verify: pre-commit and commit-msg hooks a global
 * core.hooksPath installs judge the user's commits, not the generator's.
 *
 * Identity: the commit runs first with user.useConfigOnly, so it succeeds
 * only with an identity the user set (git config, or GIT_AUTHOR_* and
 * GIT_COMMITTER_* in the environment), never one git guesses from the host
 * name; if that fails (fresh CI runners, containers) it is retried under a
 * neutral name the user can amend. One process in the usual case, where
 * asking `git config` for the name and the email first took two more.
 */
export async function initialCommit(dir: string, message: string, objectsAhead = false): Promise<void> {
  // With the objects written ahead, add only hashes each file and finds its
  // blob stored. Otherwise every blob above core.bigFileThreshold is
  // streamed into one pack (git's bulk check-in) instead of a loose object
  // file each: ~100 fewer files and ~90 fewer fan-out folders, which cost
  // `git add` most of its time. Bulk check-in compresses every file even
  // when its blob is already stored, hence not with objects ahead. Blobs a
  // filter, eol or autocrlf setting would convert take git's usual path
  // (index_fd checks that first), so what is stored is the same; the setting
  // holds for this one process, and gc repacks the pack as usual.
  // pack.compression=1 (zlib's fastest; git's default is 6, and loose objects
  // already get 1): zlib was over half of `git add`'s time, and a default
  // project's pack measured 504 KB at 6, 552 KB at 1, for 72 -> 55 ms.
  const bulk = objectsAhead ? [] : ["-c", "core.bigFileThreshold=1", "-c", "pack.compression=1"];
  const added = await git([...bulk, "add", "-A"], dir);
  if (added.exitCode !== 0) throw new Error(`git add failed: ${lastLine(added.stderr)}`);
  // maintenance.auto=false: `git commit` would start `git maintenance run
  // --auto`, one more process, which has nothing to do in a new repository.
  const commit = (...config: string[]) =>
    git([...["maintenance.auto=false", ...config].flatMap((c) => ["-c", c]), "commit", "-q", "--no-verify", "-m", message], dir);
  const configured = await commit("user.useConfigOnly=true");
  if (configured.exitCode === 0) return;
  const fallback = await commit("user.name=create-hybrid-backend", "user.email=create-hybrid-backend@localhost");
  if (fallback.exitCode !== 0) throw new Error(`git commit failed: ${lastLine(fallback.stderr)}`);
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

/** Attributes under which git may check a file out differently from how it stores it. */
const CHECKOUT_ATTRIBUTES = ["text", "eol", "crlf", "working-tree-encoding", "filter", "ident"];

/**
 * The paths git may check out differently from how it stores them (a
 * smudge filter, ident, a working-tree-encoding, CRLF line endings), asked
 * of `git check-attr` and the core.autocrlf / core.eol settings: two small
 * processes, where checkoutForms (worktree.ts) writes and reads every file
 * (about a second for a default project on a busy machine). A cheap filter
 * for create, whose files mostly need no conversion. Errs towards "may":
 * a .gitattributes among the paths (not in the work tree yet, so git
 * cannot see its rules), or git failing to answer, lists every path.
 */
export async function mayConvertOnCheckout(tree: Worktree, paths: string[]): Promise<string[]> {
  if (paths.length === 0 || paths.some((p) => p === ".gitattributes" || p.endsWith("/.gitattributes"))) return paths;
  const [attrs, config] = await Promise.all([
    git(["check-attr", "-z", "--stdin", ...CHECKOUT_ATTRIBUTES], tree.top, paths.map((p) => `${tree.prefix}${p}\0`).join("")),
    git(["config", "--get-regexp", "^core\\.(autocrlf|eol)$"], tree.top),
  ]);
  if (attrs.exitCode !== 0) return paths;
  // "key value" lines, the last one of a key winning as in git.
  const settings = new Map(config.stdout.split("\n").map((line): [string, string] => [line.split(" ")[0]!.toLowerCase(), line.slice(line.indexOf(" ") + 1).toLowerCase()]));
  if (["true", "yes", "on", "1"].includes(settings.get("core.autocrlf") ?? "")) return paths;
  // Text files get CRLF under core.eol=crlf, and by default on Windows (core.eol=native).
  const eol = settings.get("core.eol") ?? "native";
  const textIsCRLF = eol === "crlf" || (eol === "native" && process.platform === "win32");
  const attributes = new Map<string, Map<string, string>>();
  const fields = attrs.stdout.split("\0");
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [path, name, value] = [fields[i]!, fields[i + 1]!, fields[i + 2]!];
    if (!attributes.has(path)) attributes.set(path, new Map());
    attributes.get(path)!.set(name, value);
  }
  const converts = (path: string) => {
    const a = attributes.get(tree.prefix + path);
    const given = (name: string) => a?.get(name) !== undefined && a.get(name) !== "unspecified" && a.get(name) !== "unset";
    if (given("filter") || given("ident") || given("working-tree-encoding") || given("crlf")) return true;
    if (a?.get("eol") === "crlf") return true;
    return textIsCRLF && given("text");
  };
  return paths.filter(converts);
}
