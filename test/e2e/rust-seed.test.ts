import { execa } from "execa";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { CARGO_COMMANDS } from "../../src/render/cargo-commands.js";
import { pruneMembers, seedTarget } from "../../src/validate/rust-build.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Validate compiles the workers' dependencies in a build folder shared by
 * every repo, and a new user's `make test` used to compile them all again
 * in the repo's own target (262 s; 97 s once seeded). Here cargo itself
 * judges the seeded copy: a workspace with a registry dependency (libc runs
 * a build script) is tested as validate does, into a shared build-dir at
 * another path, pruned and seeded; the repo's own `cargo test` then compiles
 * its member and nothing else. Both crates are pinned and fetched from the
 * registry as any other e2e build's are: on a fresh machine this file may
 * run before any generated workers have filled the registry cache.
 */
it("leaves validate's dependencies where the repo's cargo test finds them fresh", async () => {
  const root = tempDir("chb-seed-");
  const ws = join(root, "repo", "workers");
  mkdirSync(join(ws, "member", "src"), { recursive: true });
  writeFileSync(join(ws, "Cargo.toml"), '[workspace]\nresolver = "3"\nmembers = ["member"]\n');
  writeFileSync(
    join(ws, "member", "Cargo.toml"),
    '[package]\nname = "member"\nversion = "0.1.0"\nedition = "2024"\n\n[dependencies]\nfnv = "=1.0.7"\nlibc = "=0.2.191"\n',
  );
  writeFileSync(join(ws, "member", "src", "lib.rs"), "pub fn pid() -> u32 {\n    fnv::FnvHashMap::<u8, u8>::default().len() as u32 + std::process::id()\n}\n");
  const { CARGO_TARGET_DIR: _t, CARGO_BUILD_TARGET_DIR: _b, CARGO_BUILD_BUILD_DIR: _d, ...env } = process.env;
  const cargo = (args: string[], extra: Record<string, string> = {}) =>
    execa("cargo", args, { cwd: ws, env: { ...env, CARGO_TERM_COLOR: "never", ...extra }, extendEnv: false, reject: false, all: true });
  expect((await cargo(["generate-lockfile"])).exitCode).toBe(0);
  const [, ...test] = CARGO_COMMANDS.test.split(" ");
  const run = [...test, "--no-run", "-v"];

  const shared = join(root, "cache", "rust-build");
  const validate = await cargo(run, { CARGO_BUILD_BUILD_DIR: shared, CARGO_INCREMENTAL: "0" });
  expect(validate.exitCode, validate.all).toBe(0);
  pruneMembers(shared, [{ name: "member", targets: [{ name: "member" }] }]);
  seedTarget(shared, join(ws, "target"));

  const make = await cargo(run);
  expect(make.exitCode, make.all).toBe(0);
  const compiled = [...make.all.matchAll(/^\s*Compiling (\S+)/gm)].map((m) => m[1]);
  expect(compiled).toEqual(["member"]);
  expect(make.all).toMatch(/Fresh libc v0\.2\.191/);
  expect(make.all).toMatch(/Fresh fnv v1\.0\.7/);
});
