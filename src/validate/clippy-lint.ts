import { execa } from "execa";
import { LINTED_BUILD_ENV } from "../render/cargo-commands.js";

/**
 * Clippy, linting the workspace while `cargo test` compiles it.
 *
 * The environment is LINTED_BUILD_ENV (src/render/cargo-commands.ts), the
 * one the generated `make lint` sets too. Check mode cannot reuse a
 * build's artifacts, so on cold caches a separate clippy pass
 * type-checks every dependency a second time: about 100 s of CPU for the
 * default workers, a third of validate's Rust step. Setting the same two
 * variables on the test build lints the workspace's own crates as they
 * compile (cargo gives the wrapper to workspace members only) and compiles
 * each dependency once. Firefox's build lints its crates the same way.
 *
 * The driver must be the toolchain doctor found: its `--version` line has to
 * equal `cargo clippy --version`'s, else (or when the user already set a
 * workspace wrapper) validate keeps the separate `cargo clippy` pass.
 */

/** How the linted test build is shown in the progress display and the log. */
export const LINTED_TEST_LABEL = "(clippy -D warnings while compiling)";

/**
 * The environment that makes cargo compile the workspace's crates with
 * clippy-driver, or undefined when the separate `cargo clippy` pass is needed.
 * `clippyVersion` is doctor's first line of `cargo clippy --version`.
 */
export async function lintingEnv(
  cwd: string,
  env: Record<string, string>,
  clippyVersion: string | undefined,
): Promise<Record<string, string> | undefined> {
  if (!clippyVersion || process.env.RUSTC_WORKSPACE_WRAPPER) return undefined;
  const driver = LINTED_BUILD_ENV.RUSTC_WORKSPACE_WRAPPER;
  try {
    const { stdout } = await execa(driver, ["--version"], { cwd, env, stdin: "ignore" });
    if (stdout.split("\n")[0]?.trim() !== clippyVersion.trim()) return undefined;
  } catch {
    return undefined;
  }
  return { ...LINTED_BUILD_ENV };
}
