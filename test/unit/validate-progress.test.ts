import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, SELF, runCli, tempDir } from "../helpers/cli.js";
import { fakeToolchain, type FakeToolchain } from "../helpers/fake-toolchain.js";
import { frameSplitter, parseCargoProgress, withoutFrames } from "../../src/validate/activity.js";
import { PLAIN_PROGRESS_MS, elapsed, liveDisplay, plainDisplay } from "../../src/validate/progress.js";

/**
 * validate's progress display and Ctrl-C handling, driven through the built
 * CLI with stand-in toolchains (test/helpers/fake-toolchain.ts) so each case
 * takes seconds; the real builds are the e2e suite's.
 */
let app: string;
beforeAll(async () => {
  app = join(tempDir(), "app");
  const made = await runCli([app, "--yes", "--no-validate", "--no-git", "--ci", "none", "--deploy", "none"], process.cwd());
  expect(made.exitCode, made.stderr).toBe(0);
}, 60_000);

const validateArgs = () => [CLI, "validate", app];
const STEP_RESULT = (step: string) => new RegExp(`^  (ok  |FAIL|skip) ${step}\\b`, "m");

describe("validate progress", { timeout: 120_000 }, () => {
  it("on a terminal, shows the running step, its command, elapsed time and cargo's count before the step ends", async () => {
    const fake = fakeToolchain();
    // A terminal 200 columns wide, so the whole live line fits.
    const command = `stty cols 200; ${[process.execPath, ...validateArgs()].map((a) => `'${a}'`).join(" ")}`;
    // script(1) gives validate a pseudo-terminal, as a user's shell would.
    const r = await execa("script", ["-qfc", command, "/dev/null"], { env: { ...fake.env, CI: "" }, reject: false, stdin: "ignore" });
    const out = r.stdout;
    const live = /⠋|⠙|⠹|⠸|⠼|⠴|⠦|⠧|⠇|⠏/;
    const rustLive = out.search(/ rust +\d+s  cargo clippy --all-targets --locked -- -D warnings \(workers\/\)  \[[1-6]\/6 fakecrate, tokio\]/);
    // Each result line follows the escape codes that erase the live block.
    const rustDone = out.search(/(ok  |FAIL) rust +\d+\.\ds/);
    expect(rustLive, out).toBeGreaterThan(-1);
    expect(rustDone, out).toBeGreaterThan(rustLive);
    expect(out).toMatch(live);
    // The live block is erased before each finished step's line is printed.
    expect(out).toContain("\x1b[J");
  });

  it("in a log, prints one line per command as it starts and no escape codes", async () => {
    const fake = fakeToolchain();
    const r = await runCli(["validate", app], process.cwd(), fake.env);
    const out = r.stdout;
    expect(out).not.toContain("\x1b");
    for (const line of [
      "  contract: buf lint",
      "  go: go vet ./... (orchestrator/)",
      "  go: go test -vet=off ./... (orchestrator/)",
      "  rust: cargo fmt --check (workers/)",
      "  rust: cargo clippy --all-targets --locked -- -D warnings (workers/)",
      "  rust: cargo test --locked (workers/)",
    ]) {
      expect(out.split("\n"), out).toContain(line);
    }
    expect(out.indexOf("  rust: cargo clippy")).toBeLessThan(out.search(STEP_RESULT("rust")));
    // Smoke runs the binaries cargo test built: no second build of the workspace.
    expect(out).not.toContain("cargo build");
    // The contract's plugins (go tool) compile what go vet compiles: buf
    // generate waits for go vet to end, which the next go command's line marks.
    expect(out.indexOf("  contract: buf generate"), out).toBeGreaterThan(out.indexOf("  go: go build"));
    expect(out.indexOf("  go: go build")).toBeGreaterThan(out.indexOf("  go: go vet"));
    // cargo's progress frames stay out of the step's log.
    const logs = /^logs: (.*)$/m.exec(r.stderr)?.[1];
    expect(logs, r.stderr).toBeDefined();
    const rustLog = readFileSync(join(logs!, "rust.log"), "utf8");
    expect(rustLog).toContain("Compiling fakecrate");
    expect(rustLog).not.toContain("Building [");
  });

  // cargo hashes a path crate by its place in the workspace and judges it by mtime, so
  // another repo's `scorer` left in the shared folder (a validate interrupted before its
  // prune) would pass for this repo's own when this repo's sources are older.
  it("removes another repo's workers of the same names from the shared build folder before building", async () => {
    const fake = fakeToolchain();
    const first = await runCli(["validate", app], process.cwd(), fake.env);
    // The fakes fail validate's smoke; the rust step is what this is about.
    expect(first.stdout).toMatch(/^  ok   rust\b/m);
    const shared = readdirSync(join(fake.cache, "create-hybrid-backend")).find((d) => d.startsWith("rust-build-"));
    expect(shared).toBeDefined();
    const fingerprints = join(fake.cache, "create-hybrid-backend", shared!, "debug", ".fingerprint");
    for (const unit of ["scorer-0123456789abcdef", "tokio-5052a53827468635"]) mkdirSync(join(fingerprints, unit), { recursive: true });
    const again = await runCli(["validate", app], process.cwd(), fake.env);
    expect(again.stdout).toMatch(/^  ok   rust\b/m);
    expect(readFileSync(join(fake.pids, "fingerprints-at-build"), "utf8").split("\n").filter(Boolean)).toEqual(["tokio-5052a53827468635"]);
  });

  // The dependencies a failed test run compiled are the ones the user's next `make test` needs.
  it("seeds the repo's target with the shared dependencies when the Rust tests fail too", async () => {
    const fake = fakeToolchain();
    const target = join(app, "workers", "target", "debug", ".fingerprint");
    rmSync(join(app, "workers", "target"), { recursive: true, force: true });
    const first = await runCli(["validate", app], process.cwd(), fake.env);
    expect(first.stdout).toMatch(/^  ok   rust\b/m);
    const shared = readdirSync(join(fake.cache, "create-hybrid-backend")).find((d) => d.startsWith("rust-build-"));
    mkdirSync(join(fake.cache, "create-hybrid-backend", shared!, "debug", ".fingerprint", "tokio-5052a53827468635"), { recursive: true });
    rmSync(join(app, "workers", "target"), { recursive: true, force: true });
    const failed = await runCli(["validate", app, "--no-cache"], process.cwd(), { ...fake.env, FAKE_TEST_FAIL: "1" });
    expect(failed.stdout, failed.stdout + failed.stderr).toMatch(/^  FAIL rust\b/m);
    expect(readdirSync(target)).toEqual(["tokio-5052a53827468635"]);
  });

  it("still runs the contract's generate when the go step fails before go vet", async () => {
    const fake = fakeToolchain();
    const r = await runCli(["validate", app], process.cwd(), { ...fake.env, FAKE_GOFMT_DIRTY: "1" });
    expect(r.exitCode, r.stdout + r.stderr).not.toBe(0);
    expect(r.stdout).toMatch(STEP_RESULT("go"));
    expect(r.stdout).toMatch(/^  FAIL go\b/m);
    expect(r.stdout).toMatch(/^  ok   contract\b/m);
    expect(r.stdout).toContain("  contract: buf generate");
    expect(r.stdout).not.toContain("go vet");
  });

  it("lints while compiling when clippy-driver is doctor's clippy, and runs a separate clippy pass otherwise", async () => {
    const linted = fakeToolchain({ clippyDriver: "clippy 0.1.95 (fake)" });
    const r = await runCli(["validate", app], process.cwd(), linted.env);
    const lines = r.stdout.split("\n");
    expect(lines, r.stdout).toContain("  rust: cargo test --locked (clippy -D warnings while compiling) (workers/)");
    expect(r.stdout).not.toContain("cargo clippy");
    expect(readFileSync(join(linted.pids, "linted-test"), "utf8")).toBe("clippy-driver|-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__");

    // Another toolchain's driver must not lint this one's build.
    const other = fakeToolchain({ clippyDriver: "clippy 0.1.94 (fake)" });
    const o = await runCli(["validate", app], process.cwd(), other.env);
    expect(o.stdout.split("\n"), o.stdout).toContain("  rust: cargo clippy --all-targets --locked -- -D warnings (workers/)");
    expect(o.stdout.split("\n")).toContain("  rust: cargo test --locked (workers/)");
    expect(existsSync(join(other.pids, "linted-test"))).toBe(false);
  });

  it("--json keeps stdout pure JSON", async () => {
    const fake = fakeToolchain();
    const r = await runCli(["validate", app, "--json"], process.cwd(), fake.env);
    const report = JSON.parse(r.stdout) as { steps: { name: string }[] };
    expect(report.steps.map((s) => s.name)).toEqual(["doctor", "contract", "ci", "go", "rust", "deploy", "smoke"]);
  });

  it("Ctrl-C stops every child process group, removes its temporary folders and says what to run later", async () => {
    const fake: FakeToolchain = fakeToolchain();
    const proc = execa(process.execPath, validateArgs(), { env: { ...fake.env, FAKE_HANG: "1", CI: "1" }, reject: false, stdin: "ignore" });
    const pidFile = join(fake.pids, "clippy");
    const deadline = Date.now() + 30_000;
    while (!existsSync(pidFile) || readFileSync(pidFile, "utf8").trim().split(" ").length < 2) {
      if (Date.now() > deadline) throw new Error("the fake cargo clippy never started");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(readdirSync(fake.tmp).length).toBeGreaterThan(0);
    proc.kill("SIGINT");
    const r = await proc;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr.trim().split("\n").at(-1)).toBe(
      `interrupted: stopped every build and service validate started; run \`${SELF} validate ${app}\` to check it later`,
    );
    // cargo and the child it started are both gone, not orphaned.
    for (const pid of readFileSync(pidFile, "utf8").trim().split(" ").map(Number)) {
      expect(() => process.kill(pid, 0), `pid ${pid} still running`).toThrow();
    }
    expect(readdirSync(fake.tmp)).toEqual([]);
  });
});

describe("progress pieces", () => {
  it("reads cargo's progress frames and keeps them out of logs", () => {
    expect(parseCargoProgress("    Building [========>                    ] 87/243: tokio, prost(build)      ")).toEqual({ done: 87, total: 243, building: "tokio, prost(build)" });
    expect(parseCargoProgress("   Compiling tokio v1.0.0")).toBeUndefined();
    const frames: string[] = [];
    const feed = frameSplitter((f) => frames.push(f));
    feed("   Compiling a\n    Building [=> ] 1/");
    feed("3: a   \r   Compiling b\n");
    expect(frames).toEqual(["   Compiling a", "    Building [=> ] 1/3: a   ", "   Compiling b"]);
    expect(withoutFrames("   Compiling a\n    Building [=> ] 1/3: a   \r   Compiling b\r\n")).toBe("   Compiling a\n   Compiling b\r\n");
  });

  it("draws one line per running step, fitted to the terminal, and erases it before a result", () => {
    let t = 0;
    const written: string[] = [];
    const d = liveDisplay({ write: (s: string) => written.push(s) > 0, columns: 60 }, () => t);
    d.stepStarted("rust");
    t = 133_000;
    d.commandStarted("rust", "cargo clippy --all-targets --locked -- -D warnings", "workers/");
    const frame = written.at(-1)!;
    d.stepStarted("ci");
    d.stepFinished("ci", true);
    expect(written.at(-1)).toMatch(/^ {2}✓ ci {12}0s {2}done\n$/);
    d.stepDone({ name: "ci", status: "passed", durationMs: 200 });
    expect(frame).toMatch(/^ {2}. rust {7}2m13s {2}cargo clippy --all-targets --locked .*…\n$/);
    expect([...frame.trimEnd()].length).toBe(59);
    d.stepDone({ name: "rust", status: "passed", durationMs: 133_000 });
    expect(written.slice(-2)).toEqual(["\x1b[1F\x1b[J", "  ok   rust       133.0s\n"]);
    d.stop();
    d.note("ignored after stop");
    expect(written.at(-1)).toBe("  ok   rust       133.0s\n");
  });

  it("in plain form, cargo's count every PLAIN_PROGRESS_MS of a long build, so a log is never silent for minutes", () => {
    const lines: string[] = [];
    let clock = 0;
    const d = plainDisplay((l) => lines.push(l), () => clock);
    d.commandStarted("rust", "cargo test --locked", "workers/");
    clock = PLAIN_PROGRESS_MS - 1;
    d.cargoProgress("rust", 10, 243, "tokio");
    clock = PLAIN_PROGRESS_MS;
    d.cargoProgress("rust", 12, 243, "tokio, prost");
    clock = PLAIN_PROGRESS_MS + 1_000;
    d.cargoProgress("rust", 13, 243, "prost");
    clock = 2 * PLAIN_PROGRESS_MS;
    d.cargoProgress("rust", 90, 243, "");
    expect(lines).toEqual(["  rust: cargo test --locked (workers/)", "  rust: cargo 12/243 units built (now tokio, prost)", "  rust: cargo 90/243 units built"]);
  });

  it("in plain form, one line per command", () => {
    const lines: string[] = [];
    const d = plainDisplay((l) => lines.push(l));
    d.commandStarted("go", "go vet ./...", "orchestrator/");
    d.cargoProgress("rust", 1, 2, "x");
    d.commandStarted("contract", "buf lint", "");
    expect(lines).toEqual(["  go: go vet ./... (orchestrator/)", "  contract: buf lint"]);
    expect(elapsed(59_999)).toBe("59s");
    expect(elapsed(600_000)).toBe("10m00s");
  });
});
