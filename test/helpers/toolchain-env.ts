import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { goLinterDir, pythonLinterDir } from "../../src/validate/linters.js";
import { bufCacheDir } from "../../src/validate/toolchains.js";
import { E2E_TARGET_DIR } from "./e2e-target.js";

/**
 * One cargo target dir for every e2e case, so the worker's dependencies
 * compile once per run (DESIGN.md §7); Go's build and module caches are
 * shared by default. PATH gains the buf that validate fetches into its cache
 * (for the generated Makefile) and the pinned linters the e2e globalSetup
 * (linters-setup.ts) fetches into the same cache: staticcheck, deadcode, actionlint,
 * kustomize, hadolint, cargo-deny, shellcheck. They come first, so another release on the machine is not used.
 * First of all comes the cargo guard (cargo-guard/guard.mjs), which keeps one
 * repo's build of a same-named crate from standing in for another's.
 */
export const QUICK_RELEASE_PROFILE = { CARGO_PROFILE_RELEASE_LTO: "off", CARGO_PROFILE_RELEASE_CODEGEN_UNITS: "16" } as const;

export const E2E_ENV: Record<string, string> = {
  CARGO_TARGET_DIR: E2E_TARGET_DIR,
  // As validate sets for users (rust-build.ts): each variant is built once, so
  // incremental state is never reused, and it was 3.0 of the 7.3 GB a full run
  // left in the shared target (a CI machine ran out of disk).
  CARGO_INCREMENTAL: "0",
  // The README's quick release build (Commands: "for a quick build that is not benchmarked"):
  // each generated repo's own crates build in about 16 s rather than 46 s (thin LTO, one
  // codegen unit), and some ten repos are release-built per run. No e2e case measures speed;
  // packed.test.ts runs the README's commands as written, with the repo's own profile.
  ...QUICK_RELEASE_PROFILE,
  CARGO_TERM_COLOR: "never",
  PATH: [
    fileURLToPath(new URL("cargo-guard", import.meta.url)),
    join(bufCacheDir(), "node_modules", ".bin"),
    goLinterDir("staticcheck"),
    goLinterDir("deadcode"),
    goLinterDir("actionlint"),
    goLinterDir("kustomize"),
    pythonLinterDir("hadolint"),
    pythonLinterDir("cargoDeny"),
    pythonLinterDir("shellcheck"),
    process.env.PATH,
  ].join(":"),
};
