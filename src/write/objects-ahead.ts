import { spawn } from "node:child_process";
import { closeSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FileTree } from "../render/index.js";
import { managedFiles } from "../sync/ledger.js";
import { SNAPSHOT_REF, snapshotMessage } from "./snapshot-ref.js";

/**
 * A ref fast-import needs to build the trees on, reset (deleted) in the same
 * stream, so no ref to it is ever written.
 */
const SCRATCH_REF = "refs/hybrid-backend/objects-ahead";
const SCRATCH_MESSAGE = "create-hybrid-backend: objects written ahead of the initial commit; no ref points here and git gc removes it\n";

/**
 * Starts `git fast-import` writing every blob and tree of the initial commit
 * into one pack of the new repository at dir (git init done), while the
 * caller writes the files. Resolves true when the objects are in; false when
 * anything failed, which costs nothing but the speed-up: the commit is still
 * made by `git add` and `git commit` (initialCommit), which find these
 * objects already stored and write none of them again.
 *
 * Why: `git add` wrote ~210 blobs and `git commit` ~50 trees, each tree a
 * loose file in its own fan-out folder, all on the critical path after the
 * files were written, and creating files is the slow part on some
 * filesystems (this project's 2-core bench machine: ext4 without a journal,
 * where one creation took up to ~0.7 ms in some folders). Now fast-import
 * runs beside the file writes, on another core, and add + commit after
 * them write one object. `create app --yes --no-validate`, medians of 11
 * runs alternated with the previous version, same parent folder: 297 ->
 * 252 ms and 504 -> 407 ms in two folders of that disk, 237 -> 241 ms on
 * tmpfs (where files cost nothing: no gain, no loss). .git holds 39
 * entries after create instead of 138.
 *
 * Trees match what `git commit` computes as long as git stores the files
 * as they are (no end-of-line conversion, clean filter or ident expansion
 * changes them, and core.fileMode keeps their modes); where it does not,
 * add and commit write their own objects, loose ones as git does by
 * default, and these stay unreferenced.
 * What fast-import leaves behind: one commit object no ref points to,
 * named by its message, which `git fsck` lists as dangling and gc prunes;
 * and the project's snapshot ref (snapshot.ts), so `git diff` against it
 * shows the team's edits from the first commit on, not only after a sync.
 * The stream goes through a file in .git because the file writes that
 * follow block Node's event loop, which would stall a pipe after 64 KB.
 */
export function writeObjectsAhead(dir: string, tree: FileTree): Promise<boolean> {
  const streamFile = join(dir, ".git", "hybrid-backend-objects-ahead");
  let fd: number;
  try {
    writeFileSync(streamFile, fastImportStream(tree));
    fd = openSync(streamFile, "r");
  } catch {
    rmSync(streamFile, { force: true });
    return Promise.resolve(false);
  }
  return new Promise<boolean>((resolve) => {
    // pack.compression=1: zlib's fastest, as initialCommit's own add uses.
    // --depth=0: no deltas. fast-import tries each blob against the one
    // before it in the stream, an unrelated file here: 50 -> 30 ms for a
    // default project, and a pack no larger (484 KB against 488 KB).
    const args = ["-c", "pack.compression=1", "fast-import", "--quiet", "--done", "--depth=0"];
    const child = spawn("git", args, { cwd: dir, stdio: [fd, "ignore", "ignore"] });
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code === 0));
  }).finally(() => {
    closeSync(fd);
    rmSync(streamFile, { force: true });
  });
}

/**
 * The fast-import stream (git-fast-import(1)): one blob per file, then one
 * commit on SCRATCH_REF naming them with their modes (which makes
 * fast-import build and store the trees), then that ref reset; then the
 * project's first snapshot commit (snapshot.ts), the generated files
 * without the manifest and the ledger, on SNAPSHOT_REF, from the same
 * blobs; then `done`. `now`: the snapshot's commit time, in seconds.
 */
export function fastImportStream(tree: FileTree, now = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  const entries: string[] = [];
  const generated: string[] = [];
  const managed = managedFiles(tree);
  let mark = 0;
  for (const [path, { content, mode }] of tree) {
    mark++;
    parts.push(Buffer.from(`blob\nmark :${mark}\ndata ${content.length}\n`), content, Buffer.from("\n"));
    const entry = `M ${mode & 0o111 ? "100755" : "100644"} :${mark} ${quotePath(path)}\n`;
    entries.push(entry);
    if (managed.has(path)) generated.push(entry);
  }
  const message = Buffer.from(SCRATCH_MESSAGE);
  const snapshot = snapshotMessage("");
  parts.push(
    Buffer.from(`commit ${SCRATCH_REF}\n${COMMITTER} 0 +0000\ndata ${message.length}\n`),
    message,
    Buffer.from(`${entries.join("")}\nreset ${SCRATCH_REF}\n\n`),
    Buffer.from(`commit ${SNAPSHOT_REF}\n${COMMITTER} ${now} +0000\ndata ${snapshot.length}\n`),
    snapshot,
    Buffer.from(`${generated.join("")}\ndone\n`),
  );
  return Buffer.concat(parts);
}

const COMMITTER = "committer create-hybrid-backend <create-hybrid-backend@localhost>";

/** A path as fast-import reads it: as is, or C-quoted when it starts with a quote or holds a newline. */
function quotePath(path: string): string {
  if (!path.startsWith('"') && !path.includes("\n")) return path;
  return `"${path.replace(/[\\"]/g, "\\$&").replace(/\n/g, "\\n")}"`;
}
