// The e2e tests build every generated repo into one CARGO_TARGET_DIR, so the
// worker's dependencies compile once per run. Cargo keys a workspace's own
// crates by their path inside the workspace, not by the workspace's place, and
// decides freshness by mtime: a repo whose sources are older than the last
// build of another repo's same-named crate gets that build, whatever its
// sources say (rust-lang/cargo#12516). So before a cargo command that builds,
// this compares a digest of everything the workspace's build reads (the
// workspace but its target folders, and the contract in ../proto) with the
// digest last built in the target dir, and where they differ dates those
// files now, so cargo compiles the workspace's crates again (validate, which
// may not run a script beside cargo, prunes them instead: pruneMembers).
// Identical sources keep the shared build: the common case, every preset's
// workers being the same code.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const BUILDS = new Set(["build", "b", "test", "t", "check", "c", "clippy", "run", "r", "bench", "doc"]);
const args = process.argv.slice(2);
const target = process.env.CARGO_TARGET_DIR;
// Any argument naming a build command will do: a spare check costs a digest, never a build.
if (target && args.some((a) => BUILDS.has(a))) guard(resolve(target));

function guard(targetDir) {
  const workspace = workspaceRoot();
  if (!workspace) return;
  const digest = createHash("sha256");
  const files = [workspace, join(dirname(workspace), "proto")].flatMap((root) => listTree(root, ""));
  for (const [path, rel] of files) digest.update(`${rel}\0${statSync(path).size}\0`).update(readFileSync(path));
  const sources = digest.digest("hex");
  const record = join(targetDir, ".e2e-last-workspace");
  const last = existsSync(record) ? readFileSync(record, "utf8").split("\n")[0] : "";
  if (last === sources) return;
  const now = new Date();
  for (const [path] of files) utimesSync(path, now, now);
  mkdirSync(targetDir, { recursive: true });
  writeFileSync(record, `${sources}\n${workspace}\n`);
}

/** The workspace root cargo will use: --manifest-path's folder or the nearest one up from cwd. */
function workspaceRoot() {
  const at = args.findIndex((a) => a === "--manifest-path" || a.startsWith("--manifest-path="));
  let dir = at < 0 ? process.cwd() : dirname(resolve(args[at].includes("=") ? args[at].split("=")[1] : args[at + 1]));
  for (let first = dir; ; dir = dirname(dir)) {
    const toml = join(dir, "Cargo.toml");
    if (existsSync(toml) && /^\[workspace\]/m.test(readFileSync(toml, "utf8"))) return dir;
    if (dirname(dir) === dir) return existsSync(join(first, "Cargo.toml")) ? first : null;
  }
}

/** [absolute path, path within ROOT] of every file under ROOT but target folders and .git. */
function listTree(root, rel) {
  const dir = join(root, rel);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .filter((name) => name !== "target" && name !== ".git")
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listTree(root, join(rel, name)) : [[path, join(rel, name)]];
    });
}
