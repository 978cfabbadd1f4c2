import { execa } from "execa";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { CARGO_COMMANDS } from "../../src/render/cargo-commands.js";
import { tempDir } from "../helpers/cli.js";

/**
 * `make lint` after `make build test` (or validate) spent 58 s in `cargo
 * clippy`, whose check-only build type-checks every dependency again. The
 * Makefile now lints in test's own build (CARGO_COMMANDS.lintBuild, which
 * cargo-commands.test.ts holds the Makefile to): here cargo itself shows that
 * after the test build it compiles the member alone, linted, and that a clippy
 * lint still fails it. Crates pinned as in rust-seed.test.ts.
 */
it("make lint's clippy reuses the test build's dependencies and still denies clippy's warnings", async () => {
  const ws = join(tempDir("chb-lint-"), "workers");
  mkdirSync(join(ws, "member", "src"), { recursive: true });
  writeFileSync(join(ws, "Cargo.toml"), '[workspace]\nresolver = "3"\nmembers = ["member"]\n');
  writeFileSync(
    join(ws, "member", "Cargo.toml"),
    '[package]\nname = "member"\nversion = "0.1.0"\nedition = "2024"\n\n[dependencies]\nfnv = "=1.0.7"\nlibc = "=0.2.191"\n',
  );
  const lib = join(ws, "member", "src", "lib.rs");
  writeFileSync(lib, "pub fn pid() -> u32 {\n    fnv::FnvHashMap::<u8, u8>::default().len() as u32 + std::process::id()\n}\n");
  const { CARGO_TARGET_DIR: _t, CARGO_BUILD_TARGET_DIR: _b, CARGO_BUILD_BUILD_DIR: _d, RUSTC_WORKSPACE_WRAPPER: _w, ...env } = process.env;
  const sh = (command: string) => execa("bash", ["-c", command], { cwd: ws, env: { ...env, CARGO_TERM_COLOR: "never" }, extendEnv: false, reject: false, all: true });
  expect((await sh("cargo generate-lockfile")).exitCode).toBe(0);

  const test = await sh(`${CARGO_COMMANDS.test} --no-run`);
  expect(test.exitCode, test.all).toBe(0);
  const lint = await sh(`${CARGO_COMMANDS.lintBuild} -v`);
  expect(lint.exitCode, lint.all).toBe(0);
  expect([...lint.all.matchAll(/^\s*(?:Compiling|Checking) (\S+)/gm)].map((m) => m[1])).toEqual(["member"]);
  expect(lint.all).toMatch(/Fresh libc v0\.2\.191/);
  expect(lint.all).toMatch(/Running .*clippy-driver/);

  // clippy::needless_return, a lint of clippy's own (rustc passes it): denied.
  writeFileSync(lib, "pub fn pid() -> u32 {\n    return std::process::id();\n}\n");
  const denied = await sh(CARGO_COMMANDS.lintBuild);
  expect(denied.exitCode, denied.all).not.toBe(0);
  expect(denied.all).toMatch(/error: unneeded `return` statement/);
  expect(denied.all).toMatch(/-D warnings|clippy::needless_return/);
});
