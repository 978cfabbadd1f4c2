import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { BUILD_DIR_LOCK, withBuildDirLock } from "../../src/validate/build-dir-lock.js";
import { CLI, runCli, tempDir } from "../helpers/cli.js";
import { fakeToolchain } from "../helpers/fake-toolchain.js";

/**
 * Validates share one Rust build folder per toolchain and lock file
 * (src/validate/rust-build.ts), and a worker crate has the same name and
 * hash in every repo there (rust-lang/cargo#12516): two validates at once
 * could hand one repo the other's worker, or prune it from under it. They
 * take the folder in turns (build-dir-lock.ts). The CLI cases use the stand-in
 * toolchains (test/helpers/fake-toolchain.ts): their cargo writes the worker
 * into the shared folder as cargo would and reports a test run handed
 * another repo's.
 */
const apps: string[] = [];
beforeAll(async () => {
  for (const name of ["one", "two"]) {
    const app = join(tempDir(), name);
    const made = await runCli([app, "--yes", "--no-validate", "--no-git", "--ci", "none", "--deploy", "none"], process.cwd());
    expect(made.exitCode, made.stderr).toBe(0);
    apps.push(app);
  }
}, 60_000);

const sharedFolder = (cache: string) => {
  const root = join(cache, "create-hybrid-backend");
  const name = readdirSync(root).find((d) => d.startsWith("rust-build-"));
  expect(name, `no shared build folder in ${root}`).toBeDefined();
  return join(root, name!);
};

describe("two validates sharing the Rust build folder", { timeout: 120_000 }, () => {
  it("take it in turns: neither is handed the other's worker, and the second says whom it waits for", async () => {
    const fake = fakeToolchain();
    const [one, two] = await Promise.all(apps.map((app) => runCli(["validate", app], process.cwd(), fake.env)));
    for (const r of [one!, two!]) expect(r.stdout, r.stdout + r.stderr).toMatch(/^  ok   rust\b/m);
    expect(existsSync(join(fake.pids, "handed-another-build")) ? readFileSync(join(fake.pids, "handed-another-build"), "utf8") : "").toBe("");
    const waited = [one!, two!].flatMap((r, i) => (r.stdout.includes("waiting for the validate of") ? [i] : []));
    expect(waited, one!.stdout + two!.stdout).toHaveLength(1);
    const other = apps[1 - waited[0]!]!;
    const line = [one!, two!][waited[0]!]!.stdout.split("\n").find((l) => l.includes("waiting for"));
    expect(line).toMatch(new RegExp(`^  rust: waiting for the validate of ${other} \\(pid \\d+, started \\S+\\) to finish with the shared Rust build folder$`));
    expect(existsSync(join(sharedFolder(fake.cache), BUILD_DIR_LOCK))).toBe(false);
  });

  it("an interrupted validate leaves no lock, and a killed one's lock is taken over at once", async () => {
    const fake = fakeToolchain();
    const hung = execa(process.execPath, [CLI, "validate", apps[0]!], { env: { ...fake.env, FAKE_HANG: "1", CI: "1" }, reject: false, stdin: "ignore" });
    const pidFile = join(fake.pids, "clippy");
    const deadline = Date.now() + 30_000;
    while (!existsSync(pidFile)) {
      if (Date.now() > deadline) throw new Error("the fake cargo clippy never started");
      await new Promise((r) => setTimeout(r, 50));
    }
    const lock = join(sharedFolder(fake.cache), BUILD_DIR_LOCK);
    expect(JSON.parse(readFileSync(lock, "utf8"))).toMatchObject({ pid: hung.pid, purpose: apps[0] });
    hung.kill("SIGINT");
    expect((await hung).exitCode).toBe(130);
    expect(existsSync(lock)).toBe(false);

    // kill -9 leaves it; the pid is dead, so the next validate takes it over without waiting.
    writeFileSync(lock, `${JSON.stringify({ pid: 2 ** 22 + 1, started: "2026-01-01T00:00:00.000Z", host: hostname(), purpose: "/gone" })}\n`);
    const next = await runCli(["validate", apps[1]!], process.cwd(), fake.env);
    expect(next.stdout).toMatch(/^  ok   rust\b/m);
    expect(next.stdout).not.toContain("waiting for");
  });

  it("a lock file that names no run fails the rust step with its path, instead of waiting forever", async () => {
    const fake = fakeToolchain();
    const first = await runCli(["validate", apps[0]!], process.cwd(), fake.env);
    expect(first.stdout).toMatch(/^  ok   rust\b/m);
    const lock = join(sharedFolder(fake.cache), BUILD_DIR_LOCK);
    writeFileSync(lock, "not a holder\n");
    const r = await runCli(["validate", apps[0]!, "--no-cache"], process.cwd(), fake.env);
    expect(r.stdout).toMatch(/^  FAIL rust\b/m);
    expect(r.stdout + r.stderr).toContain(`lock ${lock} failed`);
    expect(r.stdout + r.stderr).toContain("the file names no run; remove it if no validate is running");
    expect(readFileSync(lock, "utf8")).toBe("not a holder\n");
  });
});

describe("withBuildDirLock", () => {
  it("runs one holder at a time in one process too, and releases on a throw", async () => {
    const dir = tempDir();
    const events: string[] = [];
    const lines: string[] = [];
    const job = (name: string, fail = false) =>
      withBuildDirLock(dir, name, (l) => lines.push(l), async () => {
        events.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 300));
        events.push(`${name} out`);
        if (fail) throw new Error("boom");
      });
    const results = await Promise.allSettled([job("a", true), job("b")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    expect(events).toEqual(["a in", "a out", "b in", "b out"]);
    expect(lines).toEqual([expect.stringMatching(/^waiting for the validate of a \(pid \d+, started /)]);
    expect(existsSync(join(dir, BUILD_DIR_LOCK))).toBe(false);
  });
});
