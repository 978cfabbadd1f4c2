import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { gitState } from "./git.js";

/**
 * Where a generated project sits in git, and git's view of its files. A
 * project need not be a repository's root: it may be a folder of a monorepo
 * (one of several generated projects), or a linked worktree. Everything is
 * asked of git (`rev-parse`), never assumed from `<dir>/.git`.
 */
export interface Worktree {
  /** The work tree's root folder. */
  top: string;
  /** The project's path inside it, "" or ending in "/". */
  prefix: string;
}

/** The git work tree holding dir, or undefined (no git, or not inside a work tree). */
export async function locate(dir: string): Promise<Worktree | undefined> {
  return (await gitState(dir)).worktree;
}

/** What git would store for a set of files (see storedForms). */
export interface StoredForms {
  /** Per path, the stored form, for those whose stored form differs from their bytes. */
  forms: Map<string, Buffer>;
  /** Paths git could not convert (e.g. bytes not in their working-tree-encoding), with what git said: their bytes stand in. */
  failed: Map<string, string>;
}

/**
 * What git would store for each file (`git hash-object --stdin-paths` applies
 * the clean filter, core.autocrlf, `eol`/`text` and working-tree-encoding
 * attributes), for those whose stored form differs from their bytes. A file
 * git cannot convert is named in `failed` with git's message, and only its
 * own bytes stand in for its stored form; every other file keeps its
 * conversion. Empty outside a repo. The objects are written to a scratch
 * object store, only to be read back: sync --check and --dry-run promise to
 * change nothing, the repository's .git included.
 */
export async function storedForms(tree: Worktree, files: Map<string, Buffer>, blobIdOf: (b: Buffer) => string): Promise<StoredForms> {
  const paths = [...files.keys()];
  const result: StoredForms = { forms: new Map(), failed: new Map() };
  if (paths.length === 0) return result;
  const scratch = mkdtempSync(join(tmpdir(), "hybrid-backend-stored-"));
  try {
    const env = { GIT_OBJECT_DIRECTORY: scratch };
    const { ids, failed } = await hashPaths(tree, paths, env);
    result.failed = failed;
    const differing = [...ids].filter(([p, id]) => id !== blobIdOf(files.get(p)!));
    if (differing.length === 0) return result;
    const contents = await readBatch(tree.top, differing.map(([, id]) => id), [], env);
    for (const [path, id] of differing) {
      const content = contents.get(id);
      if (content) result.forms.set(path, content);
    }
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `git hash-object -w --stdin-paths`, one process for all paths. git stops at
 * the first path it cannot convert, after printing the ids of those before
 * it; that path is set aside with git's message and the rest are hashed
 * again, so each such file costs one more process and affects only itself.
 * A failure that names no path (git itself cannot run) sets aside every path
 * left, with that message.
 */
async function hashPaths(tree: Worktree, paths: string[], env: Record<string, string>): Promise<{ ids: Map<string, string>; failed: Map<string, string> }> {
  const ids = new Map<string, string>();
  const failed = new Map<string, string>();
  let rest = paths;
  while (rest.length > 0) {
    // Paths relative to the top, run from the top: hash-object resolves --stdin-paths there.
    const run = await execa("git", ["hash-object", "-w", "--stdin-paths"], {
      cwd: tree.top,
      input: rest.map((p) => tree.prefix + p).join("\n") + "\n",
      reject: false,
      env,
    });
    const printed = (run.stdout ?? "").split("\n").filter((line) => /^[0-9a-f]{40,64}$/.test(line)).slice(0, rest.length);
    printed.forEach((id, i) => ids.set(rest[i]!, id));
    if (printed.length === rest.length) break;
    const said = gitSaid(run.stderr, run.shortMessage);
    const stopped = rest[printed.length]!;
    if (run.exitCode === 0 || !said.includes(tree.prefix + stopped)) {
      for (const p of rest.slice(printed.length)) failed.set(p, said);
      break;
    }
    failed.set(stopped, said);
    rest = rest.slice(printed.length + 1);
  }
  return { ids, failed };
}

/** git's last word on stderr ("fatal: failed to encode 'README.md' from UTF-16LE-BOM to UTF-8" → without "fatal: "). */
function gitSaid(stderr: string | undefined, fallback: string | undefined): string {
  const lines = (stderr ?? "").split("\n").map((l) => l.trim()).filter(Boolean);
  const last = lines.at(-1) ?? fallback ?? "git hash-object failed";
  return last.replace(/^(fatal|error):\s*/, "");
}

/** What `git checkout` would put on disk for a set of files (see checkoutForms); the same shape as StoredForms. */
export interface CheckoutForms {
  /** Per path, the checkout form. */
  forms: Map<string, Buffer>;
  /** Paths git could not check out (e.g. a required smudge filter failed), with what git said: written in their stored form. */
  failed: Map<string, string>;
}

/**
 * The bytes `git checkout` would put on disk for each (path, stored content):
 * smudge filters, CRLF for autocrlf/`eol=crlf`, working-tree-encoding. Asked
 * of git's own checkout: the contents become objects (no filters), a scratch
 * index lists them at their paths, and `git checkout-index --prefix` writes
 * them into a scratch folder with the repository's attributes applied.
 * (`cat-file --batch --filters` would be one process too, but git 2.39 reports
 * the unfiltered size there, so its output cannot be split.) The objects go
 * to a scratch object store too, like the index. A path git could not check
 * out is named in `failed` with git's message, as storedForms names the
 * files it could not convert, and is to be written as it is.
 */
export async function checkoutForms(tree: Worktree, files: Map<string, Buffer>): Promise<CheckoutForms> {
  const result: CheckoutForms = { forms: new Map(), failed: new Map() };
  const out = result.forms;
  const paths = [...files.keys()];
  if (paths.length === 0) return result;
  const scratch = mkdtempSync(join(tmpdir(), "hybrid-backend-checkout-"));
  // A failure before checkout-index (git itself cannot run) sets aside every path, with that message.
  const failAll = (run: { stderr?: string; shortMessage?: string }) => {
    for (const p of paths) result.failed.set(p, gitSaid(run.stderr, run.shortMessage));
    return result;
  };
  try {
    // git takes a missing object store for "not a repository".
    mkdirSync(join(scratch, "objects"));
    const names = paths.map((p, i) => {
      const name = join(scratch, `in-${i}`);
      writeFileSync(name, files.get(p)!);
      return name;
    });
    const run = (args: string[], input?: string) =>
      execa("git", args, {
        cwd: tree.top,
        input,
        reject: false,
        env: { GIT_INDEX_FILE: join(scratch, "index"), GIT_OBJECT_DIRECTORY: join(scratch, "objects") },
      });
    const hashed = await run(["hash-object", "-w", "--no-filters", "--stdin-paths"], names.join("\n") + "\n");
    if (hashed.exitCode !== 0) return failAll(hashed);
    const ids = hashed.stdout.split("\n");
    const listed = await run(["update-index", "--add", "--index-info"], paths.map((p, i) => `100644 ${ids[i]}\t${tree.prefix}${p}\n`).join(""));
    if (listed.exitCode !== 0) return failAll(listed);
    // checkout-index stops at a path it cannot check out (a required smudge
    // filter that fails), having written those before it: that one is set
    // aside with git's message and the rest are checked out again, so it
    // affects only itself.
    const read = (p: string) => {
      try {
        out.set(p, readFileSync(join(scratch, "out", ...(tree.prefix + p).split("/"))));
      } catch {
        /* not written: the caller keeps the stored form */
      }
    };
    let pending = paths;
    while (pending.length > 0) {
      const checkedOut = await run(["checkout-index", "--force", "--stdin", `--prefix=${join(scratch, "out")}/`], pending.map((p) => tree.prefix + p).join("\n") + "\n");
      pending.forEach(read);
      const stopped = pending.findIndex((p) => !out.has(p));
      if (stopped < 0) break;
      result.failed.set(pending[stopped]!, gitSaid(checkedOut.stderr, checkedOut.shortMessage));
      pending = pending.slice(stopped + 1);
    }
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `git cat-file --batch`: object id → content, for every object found (env: e.g. another object store). */
export async function readBatch(cwd: string, lines: string[], flags: string[] = [], env: Record<string, string> = {}): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  if (lines.length === 0) return found;
  const result = await execa("git", ["cat-file", "--batch", ...flags], { cwd, input: `${lines.join("\n")}\n`, encoding: "buffer", reject: false, env });
  if (result.exitCode !== 0) return found; // not a git repo, or no git
  const out = Buffer.from(result.stdout);
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    if (eol < 0) break;
    const [id, type, size] = out.subarray(at, eol).toString("utf8").split(" ");
    at = eol + 1;
    if (type === "missing" || size === undefined) continue;
    const length = Number(size);
    if (type === "blob" && id) found.set(id, Buffer.from(out.subarray(at, at + length)));
    at += length + 1; // content is followed by a newline
  }
  return found;
}
