import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CAP_ENV } from "../../src/cache/dir.js";
import { tempDir } from "./cli.js";

/**
 * Stand-ins for go, gofmt, cargo and buf that answer doctor's probes, take
 * a moment per command and draw cargo's progress bar (the exact frames cargo
 * draws into a pipe with term.progress.when = always), so validate's
 * progress display and interrupt handling can be driven end to end in a
 * second instead of a cold build's ten minutes. They prove validate's own
 * behaviour, not the generated repo's: that is what the e2e suite's real
 * builds are for. With FAKE_HANG=1, `cargo clippy` starts a child of its own
 * and waits, recording both pids in $FAKE_PIDS, for the interrupt test.
 */
export interface FakeToolchain {
  /** The run's environment, laid over the caller's: CALLER_ENV_CLEARED are undefined (unset). */
  env: Record<string, string | undefined>;
  /** The folder the fake tools record their pids in (FAKE_HANG). */
  pids: string;
  /** TMPDIR for the run, to check no temporary folder is left. */
  tmp: string;
  /** XDG_CACHE_HOME for the run. */
  cache: string;
}

const GO = `#!/bin/sh
case "$1" in
  version) echo "go version go1.26.8 linux/amd64" ;;
  build) out=""; while [ $# -gt 0 ]; do [ "$1" = "-o" ] && out="$2"; shift; done
    mkdir -p "$out"; for b in orchestrator bootstrap produce loadgen smoke; do printf '#!/bin/sh\\nexit 3\\n' > "$out/$b"; chmod +x "$out/$b"; done ;;
  *) sleep 0.3 ;;
esac
`;

const CARGO = `#!/bin/sh
case "$1" in
  --version) echo "cargo 1.95.0 (fake)" ;;
  fmt) [ "$2" = "--version" ] && echo "rustfmt 1.8.0-stable (fake)" ;;
  clippy)
    [ "$2" = "--version" ] && { echo "clippy 0.1.95 (fake)"; exit 0; }
    # What the shared build folder held when the build began.
    [ -n "$CARGO_BUILD_BUILD_DIR" ] && ls "$CARGO_BUILD_BUILD_DIR/debug/.fingerprint" > "$FAKE_PIDS/fingerprints-at-build" 2>/dev/null
    # This repo's worker, as cargo would build it into the shared folder: under
    # the same name and hash in every repo (cargo hashes a path crate by its
    # relative path), holding which repo built it.
    [ -n "$CARGO_BUILD_BUILD_DIR" ] && mkdir -p "$CARGO_BUILD_BUILD_DIR/debug/.fingerprint" && echo "$PWD" > "$CARGO_BUILD_BUILD_DIR/debug/.fingerprint/scorer-5c0e5c0e5c0e5c0e"
    echo "   Compiling fakecrate v0.1.0" >&2
    if [ -n "$FAKE_HANG" ]; then
      sleep 300 & echo "$$ $!" > "$FAKE_PIDS/clippy"; wait; exit 1
    fi
    for i in 1 2 3 4 5 6; do
      printf '    Building [=====>          ] %s/6: fakecrate, tokio                \\r' "$i" >&2
      sleep 0.4
    done
    echo "    Finished \\\`dev\\\` profile" >&2 ;;
  test)
    # validate's linted test build (src/validate/clippy-lint.ts): record what
    # cargo would hand the workspace's crates.
    [ -n "$RUSTC_WORKSPACE_WRAPPER" ] && printf '%s|%s' "$RUSTC_WORKSPACE_WRAPPER" "$CLIPPY_ARGS" > "$FAKE_PIDS/linted-test"
    # The tests run the worker the build above left: another repo's is a fault.
    unit="$CARGO_BUILD_BUILD_DIR/debug/.fingerprint/scorer-5c0e5c0e5c0e5c0e"
    [ -f "$unit" ] && [ "$(cat "$unit")" != "$PWD" ] && echo "$PWD got the worker of $(cat "$unit")" >> "$FAKE_PIDS/handed-another-build"
    sleep 0.2
    # FAKE_TEST_FAIL: a failing test, after the build.
    [ -n "$FAKE_TEST_FAIL" ] && { echo "test result: FAILED. 0 passed; 1 failed" >&2; exit 101; } ;;
  metadata) printf '{"target_directory":"%s/target","packages":[{"name":"scorer","targets":[{"kind":["bin"],"name":"scorer"}]}]}\\n' "$PWD" ;;
  *) sleep 0.2 ;;
esac
exit 0
`;

// FAKE_GOFMT_DIRTY: gofmt names a file, so the go step fails at its first command.
const GOFMT = '#!/bin/sh\n[ -n "$FAKE_GOFMT_DIRTY" ] && echo main.go\nexit 0\n';

const BUF = `#!/bin/sh
case "$1" in
  --version) echo "1.75.0" ;;
  generate) mkdir -p "$3/orchestrator" && cp -r orchestrator/gen "$3/orchestrator/gen" ;;
esac
`;

/**
 * Variables the tool reads (src/) that the caller's shell may have set and
 * that would change what a fake run does: a CARGO_TARGET_DIR, for one, moves
 * the Rust build out of the tool's cache, and the e2e run's RAM spill sets it
 * for every test worker (a cache test failed only there). Unset for a fake
 * run, so it behaves the same in any shell; a test that wants one sets it
 * after. test/unit/fake-toolchain.test.ts holds this list to src's reads. CI
 * is not here: every caller sets it (runCli to 1).
 */
export const CALLER_ENV_CLEARED = [
  "CARGO_TARGET_DIR",
  "CARGO_BUILD_TARGET_DIR",
  "CARGO_BUILD_BUILD_DIR",
  "RUSTC_WORKSPACE_WRAPPER",
  "GIT_DIR",
  "GIT_WORK_TREE",
  "HYBRID_BACKEND_DEBUG",
  CAP_ENV,
] as const;

/**
 * `clippyDriver`: the first line a stand-in clippy-driver prints for
 * `--version`; without it there is none on PATH (validate then runs the
 * separate `cargo clippy` pass).
 */
export function fakeToolchain(opts: { clippyDriver?: string } = {}): FakeToolchain {
  const root = tempDir("chb-fake-");
  const bin = join(root, "bin");
  const pids = join(root, "pids");
  const tmp = join(root, "tmp");
  const cache = join(root, "cache");
  for (const d of [bin, pids, tmp, cache]) mkdirSync(d, { recursive: true });
  const tools: Record<string, string> = { go: GO, cargo: CARGO, gofmt: GOFMT, buf: BUF };
  if (opts.clippyDriver) tools["clippy-driver"] = `#!/bin/sh\necho '${opts.clippyDriver}'\n`;
  for (const [name, text] of Object.entries(tools)) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  return {
    env: {
      ...Object.fromEntries(CALLER_ENV_CLEARED.map((name) => [name, undefined])),
      PATH: `${bin}:/usr/bin:/bin`,
      BUF: join(bin, "buf"),
      TMPDIR: tmp,
      XDG_CACHE_HOME: cache,
      FAKE_PIDS: pids,
    },
    pids,
    tmp,
    cache,
  };
}
