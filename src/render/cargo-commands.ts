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
}

export const CARGO_COMMANDS: CargoCommands = {
  build: "cargo build --release --locked",
  test: "cargo test --locked",
};
