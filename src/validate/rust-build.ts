import { createHash } from "node:crypto";
import { constants, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../cache/dir.js";
import { touchEntry } from "../cache/entries.js";

/**
 * Cargo's intermediate build output (every dependency compiled) goes to one
 * folder in the tool's cache shared by every repo validated with the same
 * toolchain and Cargo.lock, so the second project does not recompile tonic
 * and tokio; the binaries themselves still land in the repo's own
 * workers/target (cargo's build-dir, stable since Rust 1.91), so two repos
 * with a worker of the same name never overwrite each other's. Sharing the
 * dependencies is safe: cargo keys each registry crate by name, version,
 * features and profile. Sharing the repo's own crates is not: cargo hashes a
 * path crate by its path relative to the workspace root, so two repos'
 * `scorer` get the same unit, and it decides freshness by mtime, so a repo
 * whose sources are older than another repo's build would get that build
 * (rust-lang/cargo#12516, #17312). So the repo's crates are pruned from the
 * folder before the build and after it (pruneMembers), and validates take
 * the folder in turns (build-dir-lock.ts). Keyed by lock file too, so one
 * repo's dependency bump gets its own folder, evicted whole when unused
 * instead of growing a shared one forever. Incremental compilation is off:
 * validate builds once, and its per-crate session folders were the larger
 * part of each repo's leftovers. A CARGO_TARGET_DIR or build-dir the user
 * set wins.
 *
 * What validate compiles is what the repo's `make test` needs (the same
 * command: src/render/cargo-commands.ts), so seedTarget copies the shared
 * dependencies into the repo's workers/target once validate is done, and
 * the user's first `make test` compiles only the workers' own crates: 97 s
 * instead of 262 s for the whole dev tree (2 cores, load 10-13). Two other ways
 * were weighed. Building into the repo's own target would lose this cache,
 * so every generation would compile the tree again. Validating in release,
 * to seed `make build` too, would slow the cold validate: the release tree
 * took 133 s and then its test targets, each at opt-level 3 with thin LTO,
 * 372 s more (at the heavier load), against 262 s for all of it in dev. So the dev tree compiles once per machine and toolchain, the
 * release tree once per repo, in `make build`.
 */
export function rustBuildEnv(ctx: { dir: string; toolVersions: string[] }): Record<string, string> {
  if (process.env.CARGO_TARGET_DIR || process.env.CARGO_BUILD_TARGET_DIR || process.env.CARGO_BUILD_BUILD_DIR) return {};
  const lock = join(ctx.dir, "workers", "Cargo.lock");
  const toolchain = ctx.toolVersions.filter((t) => /^(cargo|rustfmt|clippy) /.test(t));
  const hash = createHash("sha256").update(toolchain.join("\0"));
  hash.update(existsSync(lock) ? readFileSync(lock) : "");
  const key = hash.digest("hex").slice(0, 16);
  const cargo = toolchain[0]?.replace(/^cargo /, "") ?? "cargo";
  const dir = touchEntry(join(cacheDir(), `rust-build-${key}`), `${cargo}; last used for ${ctx.dir}`);
  return { CARGO_BUILD_BUILD_DIR: dir, CARGO_INCREMENTAL: "0" };
}

/**
 * Removes the repo's own crates (its workspace members: every bin, lib,
 * test, example and bench target) from the shared folder once validate is
 * done with them, leaving only the dependencies every repo shares. Without
 * this each validated repo would add its members' 100-200 MB to a folder
 * that is always recently used and so never evicted. The repo's binaries
 * are in its own workers/target and stay; a later validate of a changed
 * tree rebuilds the members, which it would do anyway. Matched by name:
 * cargo names units `NAME-HASH` (crate names with `_`, package folders with `-`).
 */
export function pruneMembers(buildDir: string, packages: { name: string; targets: { name: string }[] }[]): void {
  const names = new Set<string>();
  for (const p of packages) {
    names.add(p.name);
    for (const t of p.targets) names.add(t.name);
  }
  const prefixes = [...names].flatMap((n) => [n, n.replace(/-/g, "_")]).flatMap((n) => [`${n}-`, `lib${n}-`]);
  const ours = (file: string) => prefixes.some((p) => file.startsWith(p) && /^[0-9a-z]+(\.|$)/.test(file.slice(p.length)));
  for (const profile of ["debug"]) {
    const root = join(buildDir, profile);
    // Only workspace members have examples built, so that folder is all theirs.
    rmSync(join(root, "examples"), { recursive: true, force: true });
    for (const sub of ["deps", ".fingerprint", "build", "incremental"]) {
      const dir = join(root, sub);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) if (ours(f)) rmSync(join(dir, f), { recursive: true, force: true });
    }
  }
}

/**
 * Copies the dependencies left in the shared build folder (pruneMembers has
 * removed the repo's own crates) into the repo's target folder, where the
 * repo's `cargo test` finds them fresh: cargo keeps dependency paths in its
 * fingerprints relative to the target folder and rewrites a build script's
 * recorded OUT_DIR when the folder moves, so the units stay valid at the new
 * path as long as their timestamps are kept. Copies, not hard links: cargo
 * rewrites fingerprint files in place, which through a link would change the
 * shared folder under every other repo. Fingerprints go last, so an
 * interrupted copy leaves units cargo sees as dirty and compiles again,
 * never a half-copied library it trusts. What the repo already has is kept.
 * The price: about 800 MB more in the repo's workers/target, which its first
 * `cargo test` would have written anyway, copied in under 2 s.
 */
export function seedTarget(buildDir: string, targetDir: string): void {
  for (const sub of ["deps", "build", ".fingerprint"]) {
    const from = join(buildDir, "debug", sub);
    if (!existsSync(from)) continue;
    const to = join(targetDir, "debug", sub);
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) {
      if (existsSync(join(to, name))) continue;
      // A clone where the filesystem can (btrfs, XFS, APFS), else a copy.
      cpSync(join(from, name), join(to, name), { recursive: true, preserveTimestamps: true, mode: constants.COPYFILE_FICLONE });
    }
  }
}
