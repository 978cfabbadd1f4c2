/**
 * How the workers are built and tested: the Makefile's `build` and `test`
 * targets, each CI provider's rust-NAME job and validate's Rust step all run
 * these, so none can drift from the others (test/unit/cargo-commands.test.ts).
 * Validate leaves the dependencies its `test` compiled in the repo's target
 * folder (src/validate/rust-build.ts, seedTarget), which is only right while
 * `make test` is the same command: same profile, same features.
 *
 * The tests stay in the dev profile. Cargo compiles the dependency tree once
 * per profile (target/debug, target/release, target/NAME share nothing,
 * whatever [profile.dev] or [profile.test] say), so only `cargo test
 * --release` would let `make test` reuse `make build`'s dependencies, and it
 * cost more than it saved: in a fresh repo after `make build` (133 s) it took
 * 372 s, against 262 s for the dev `cargo test` compiling its whole tree from
 * nothing (2 cores, load 8-10), because every test target is then compiled
 * at opt-level 3 in one codegen unit and linked with thin LTO, and an edit
 * pays that again. Tested in dev, the tree compiles once per profile: the
 * release one in `make build`, the dev one in validate (shared by every repo
 * on the machine) or, without validate, in `make test`.
 */
export interface CargoCommands {
  /** Release binaries of every worker: target/release/NAME. */
  build: string;
  /** Every worker's unit, integration and doc tests; builds target/debug/NAME too. */
  test: string;
  /** `cargo clippy` over every target, warnings denied: each CI rust job's lint, and validate's when it cannot lint the test build. */
  clippy: string;
  /** Test's build, compiled (so linted) by clippy-driver; see LINTED_BUILD_ENV. */
  lintBuild: string;
  /** `make lint`'s clippy, a bash command: lintBuild, or clippy when the user has a workspace wrapper of their own (see OWN_WRAPPER). */
  lint: string;
  /** lint as a Makefile recipe writes it: over continued lines, `$` doubled. */
  lintRecipe: string;
}

/** What clippy gets after `cargo clippy --`, wherever it runs: every warning an error. */
export const CLIPPY_DENY = ["-D", "warnings"];

/**
 * How cargo compiles the workspace's own crates with clippy: `cargo clippy`
 * is `cargo check` with clippy-driver as RUSTC_WORKSPACE_WRAPPER and the
 * arguments after its `--` in CLIPPY_ARGS, each followed by
 * `__CLIPPY_HACKERY__` (rust-clippy's src/main.rs). Set on `cargo test`'s
 * build instead, they lint the same code but in the build `make test` and
 * validate make: the dependencies (cargo gives the wrapper to workspace
 * members only) are the ones those compiled, reused, where `cargo clippy`'s
 * check-only build type-checked all ~100 of them again (58 s after `make build
 * test` on 2 cores). That build compiles every target `clippy --all-targets`
 * checks but benches, which the workers have none of (cargo-commands.test.ts).
 */
export const LINTED_BUILD_ENV = {
  RUSTC_WORKSPACE_WRAPPER: "clippy-driver",
  CLIPPY_ARGS: CLIPPY_DENY.map((a) => `${a}__CLIPPY_HACKERY__`).join(""),
} as const;

const TEST = "cargo test --locked";
const CLIPPY = `cargo clippy --all-targets --locked -- ${CLIPPY_DENY.join(" ")}`;
const LINT_BUILD = `${Object.entries(LINTED_BUILD_ENV).map(([k, v]) => `${k}=${v}`).join(" ")} ${TEST} --no-run`;

/**
 * Cargo takes one workspace wrapper, so linting test's build would replace a
 * team's own RUSTC_WORKSPACE_WRAPPER (a tool of theirs) for the build `make
 * test` then reuses, and silently. With one set, lint runs the separate
 * `cargo clippy` pass instead (a check build of its own, which re-checks the
 * dependencies) and says why on stderr; validate keeps that pass then too
 * (src/validate/clippy-lint.ts). RUSTC_WRAPPER (sccache) wraps clippy-driver
 * and is not affected.
 */
const OWN_WRAPPER = [
  'if [ -n "${RUSTC_WORKSPACE_WRAPPER:-}" ]; then',
  '  echo "make lint: RUSTC_WORKSPACE_WRAPPER is set (${RUSTC_WORKSPACE_WRAPPER}), so clippy runs as a separate cargo clippy pass rather than as the workspace wrapper of the test build" >&2;',
  `  ${CLIPPY};`,
  "else",
  `  ${LINT_BUILD};`,
  "fi",
];

export const CARGO_COMMANDS: CargoCommands = {
  build: "cargo build --release --locked",
  test: TEST,
  clippy: CLIPPY,
  lintBuild: LINT_BUILD,
  lint: OWN_WRAPPER.map((l) => l.trim()).join(" "),
  // One shell command over continued lines: make hands backslash-newline to the shell, which joins them.
  lintRecipe: OWN_WRAPPER.join(" \\\n\t").replaceAll("$", () => "$$"),
};
