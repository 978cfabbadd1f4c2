import { execa } from "execa";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { CARGO_COMMANDS } from "../../src/render/cargo-commands.js";
import { render } from "../../src/render/index.js";
import { tempDir } from "../helpers/cli.js";

/**
 * `make lint` lints test's build by making clippy-driver cargo's
 * RUSTC_WORKSPACE_WRAPPER, and cargo takes one: a team's own wrapper was
 * replaced without a word. The Makefile's own lint line runs here, under the
 * Makefile's shell settings, with a stand-in cargo on PATH that records what
 * it was asked and with which wrapper.
 */
const makefile = render(parseManifest({ name: "shop", orchestrator: { module: "example.com/shop/orchestrator" } } as never)).get("Makefile")!.content.toString("utf8");
const shell = makefile.split("\n").filter((l) => /^\.?SHELL(FLAGS)? :=/.test(l));
// The recipe's Rust line and the lines it continues with a backslash.
const lintLine = /^\tcd workers && cargo fmt --check && (?:.*\\\n)*.*$/m.exec(makefile)![0];

async function lint(wrapper: string | undefined) {
  const dir = tempDir("chb-lint-wrapper-");
  mkdirSync(join(dir, "bin"));
  mkdirSync(join(dir, "workers"));
  const log = join(dir, "cargo.log");
  writeFileSync(join(dir, "bin", "cargo"), `#!/bin/sh\necho "$*|\${RUSTC_WORKSPACE_WRAPPER:-}|\${CLIPPY_ARGS:-}" >> "${log}"\n`);
  chmodSync(join(dir, "bin", "cargo"), 0o755);
  writeFileSync(log, "");
  writeFileSync(join(dir, "Makefile"), [...shell, "lint:", lintLine, ""].join("\n"));
  const { RUSTC_WORKSPACE_WRAPPER: _w, CLIPPY_ARGS: _c, ...env } = process.env;
  const run = await execa("make", ["-s", "lint"], {
    cwd: dir,
    // Not node's default socketpair: bash (the recipe shell) with a socket on stdin and a low
    // SHLVL reads /etc/bash.bashrc as if started by sshd, and Debian's trips on `set -u` there,
    // writing to stderr whatever the Makefile does.
    stdin: "ignore",
    env: { ...env, PATH: `${join(dir, "bin")}:${env.PATH}`, ...(wrapper === undefined ? {} : { RUSTC_WORKSPACE_WRAPPER: wrapper }) },
    extendEnv: false,
    reject: false,
  });
  return { ...run, calls: readFileSync(log, "utf8").trim().split("\n") };
}

describe("make lint's clippy", () => {
  it("without a workspace wrapper of the user's, lints test's build through clippy-driver, quietly", async () => {
    const run = await lint(undefined);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    const clippyArgs = CARGO_COMMANDS.lintBuild.match(/CLIPPY_ARGS=(\S+)/)![1];
    expect(run.calls).toEqual(["fmt --check||", `test --locked --no-run|clippy-driver|${clippyArgs}`]);
  });

  it("with one set, leaves it alone: runs the separate cargo clippy pass and says why on stderr, in one line", async () => {
    const run = await lint("/opt/team/bin/our-lints");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.calls).toEqual(["fmt --check|/opt/team/bin/our-lints|", "clippy --all-targets --locked -- -D warnings|/opt/team/bin/our-lints|"]);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/RUSTC_WORKSPACE_WRAPPER is set \(\/opt\/team\/bin\/our-lints\).*cargo clippy/);
  });

  it("takes an empty RUSTC_WORKSPACE_WRAPPER (cargo's own reading: none) as unset", async () => {
    const run = await lint("");
    expect(run.calls[1]).toMatch(/^test --locked --no-run\|clippy-driver\|/);
  });
});
