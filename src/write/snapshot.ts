import { execa } from "execa";
import type { FileTree } from "../render/index.js";
import { GENERATOR_NAME } from "../version.js";
import type { Worktree } from "./worktree.js";
import { snapshotMessage, snapshotRef } from "./snapshot-ref.js";

export { SNAPSHOT_REF, snapshotRef } from "./snapshot-ref.js";

/**
 * Records the generated tree as a commit on the project's snapshot ref, so
 * the blobs the ledger names stay in the object store (reachable, so gc
 * keeps them) even when the user never commits a sync, and
 * `git diff <ref> -- <project folder>` shows the team's own edits: the tree
 * holds the files at their paths in the repository. One `git fast-import`
 * process; skipped outside a git work tree, where sync re-renders bases instead.
 */
export async function storeSnapshot(worktree: Worktree | undefined, tree: FileTree): Promise<boolean> {
  if (!worktree) return false;
  const ref = snapshotRef(worktree.prefix);
  const cwd = worktree.top;
  const parent = await execa("git", ["rev-parse", "--verify", "-q", `${ref}^{commit}`], { cwd, reject: false });
  const chunks: Buffer[] = [];
  const text = (s: string) => chunks.push(Buffer.from(s));
  const data = (content: Buffer) => {
    text(`data ${content.length}\n`);
    chunks.push(content);
    text("\n");
  };
  const message = snapshotMessage(worktree.prefix);
  text(`commit ${ref}\n`);
  text(`committer ${GENERATOR_NAME} <${GENERATOR_NAME}@localhost> ${Math.floor(Date.now() / 1000)} +0000\n`);
  data(message);
  if (parent.exitCode === 0) text(`from ${parent.stdout.trim()}\n`);
  text("deleteall\n");
  for (const [path, entry] of tree) {
    text(`M ${entry.mode === 0o755 ? "100755" : "100644"} inline ${quote(worktree.prefix + path)}\n`);
    data(entry.content);
  }
  text("done\n");
  await execa("git", ["fast-import", "--quiet", "--done"], { cwd, input: Buffer.concat(chunks) });
  return true;
}

/**
 * The blob id at each of the project's paths on the tip of its snapshot ref,
 * or undefined where there is none to compare (outside git, no ref yet).
 */
export async function snapshotBlobs(worktree: Worktree | undefined): Promise<Map<string, string> | undefined> {
  if (!worktree) return undefined;
  const listed = await execa("git", ["ls-tree", "-r", "-z", "--full-tree", `${snapshotRef(worktree.prefix)}^{commit}`], { cwd: worktree.top, reject: false });
  if (listed.exitCode !== 0) return undefined;
  const blobs = new Map<string, string>();
  for (const line of listed.stdout.split("\0")) {
    // "MODE TYPE ID\tPATH"
    const tab = line.indexOf("\t");
    const path = line.slice(tab + 1);
    if (tab < 0 || !path.startsWith(worktree.prefix)) continue;
    blobs.set(path.slice(worktree.prefix.length), line.slice(0, tab).split(" ")[2]!);
  }
  return blobs;
}

/** fast-import takes a path bare unless it starts with a quote or has a newline. */
function quote(path: string): string {
  return /^"|\n/.test(path) ? JSON.stringify(path) : path;
}
