import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { processIdentity } from "../../src/write/process-identity.js";
import { LOCK_NAME, acquireRepoLock } from "../../src/write/repo-lock.js";
import { CLI, runCli, tempDir } from "../helpers/cli.js";

/**
 * Two writing runs at once (`add worker alpha & add worker beta`) each read
 * the same manifest and ledger, and the last to write won: one worker's files
 * were left untracked, or git refused the second snapshot. A writing run
 * holds an exclusive lock in the git dir for its whole run; a second refuses
 * at once (exit 2, nothing written); a lock whose run is dead is taken over;
 * the lock goes however the run ends. Through the built CLI (npm run build).
 */
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

let parent: string;
let dir: string;
let lock: string;
const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" });
/** Everything a run could change: the work tree (tracked, untracked, ignored) and the snapshot ref. */
const state = () => git("status", "--porcelain", "--untracked-files=all", "--ignored") + git("for-each-ref", "refs/hybrid-backend");
const workers = () => (JSON.parse(readFileSync(join(dir, "hybrid-backend.json"), "utf8")) as { workers: { name: string }[] }).workers.map((w) => w.name);
const holding = (pid: number) => `${JSON.stringify({ pid, started: "2026-01-01T00:00:00.000Z", host: hostname() })}\n`;
const REFUSAL = (file: string, pid: number | string) =>
  `error: ${file}: another hybrid-backend run (pid ${pid}, started 2026-01-01T00:00:00.000Z) is changing this repository; wait for it, or remove ${file} if no such run is alive`;

async function create(args: string[] = []) {
  parent = tempDir("chb-lock-");
  dir = join(parent, "app");
  const created = await runCli(["app", "--yes", "--no-validate", ...args], parent);
  expect(created.exitCode, created.stderr).toBe(0);
}

/** A process that stays alive until killed: a live holder. */
let sleeper: ChildProcess | undefined;
function liveProcess(): number {
  sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
  return sleeper.pid!;
}
afterEach(() => {
  sleeper?.kill();
  sleeper = undefined;
});

/** The pid of a process that has exited: a dead holder. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

describe("two writing runs at once", () => {
  beforeEach(() => create());

  it("exactly one succeeds, the other exits 2 and writes nothing; no change is lost", async () => {
    let overlapped = 0;
    for (let round = 1; round <= 6 && overlapped < 2; round++) {
      const names = [`alpha${round}`, `beta${round}`];
      const before = workers();
      const [a, b] = await Promise.all(names.map((name) => runCli(["add", "worker", name], dir)));
      const results = [a!, b!];
      const codes = results.map((r) => r.exitCode).sort();
      if (codes[0] === 0 && codes[1] === 0) {
        // The runs did not overlap: each saw the other's manifest.
        expect(new Set(workers())).toEqual(new Set([...before, ...names]));
      } else {
        expect(codes, results.map((r) => r.stderr).join("\n")).toEqual([0, 2]);
        overlapped++;
        const winner = names[results.findIndex((r) => r.exitCode === 0)]!;
        const loser = results.find((r) => r.exitCode === 2)!;
        const loserName = names.find((n) => n !== winner)!;
        expect(loser.stderr.trim().split("\n")).toHaveLength(1);
        expect(loser.stderr).toMatch(
          new RegExp(`^error: ${join(dir, ".git", LOCK_NAME).replace(/[.]/g, "\\.")}: another hybrid-backend run \\(pid \\d+, started [^)]+\\) is changing this repository; wait for it, or remove \\S+ if no such run is alive$`),
        );
        expect(loser.stdout).toBe("");
        expect(workers()).toEqual([...before, winner]);
        // Nothing of the refused run on disk: no folder of its worker, no untracked file naming it.
        expect(existsSync(join(dir, "workers", loserName))).toBe(false);
        expect(git("status", "--porcelain", "--untracked-files=all")).not.toContain(loserName);
      }
      expect((await runCli(["sync", "--check"], dir)).exitCode).toBe(0);
      expect(existsSync(join(dir, ".git", LOCK_NAME))).toBe(false);
    }
    // Without the lock both "succeed" (one worker lost) or one fails in git: never exit 2.
    expect(overlapped).toBeGreaterThan(0);
  });
});

describe("a lock held by a live run", () => {
  beforeEach(async () => {
    await create();
    lock = join(dir, ".git", LOCK_NAME);
  });

  it.each([
    [["add", "worker", "beta"]],
    [["remove", "ci", "github"]],
    [["sync"]],
    [["sync", "--force"]],
  ])("%j exits 2 at once, naming the lock file and the pid, and writes nothing", async (argv) => {
    const pid = liveProcess();
    writeFileSync(lock, holding(pid));
    const before = state();
    const result = await runCli(argv, dir);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toBe(REFUSAL(lock, pid));
    expect(state()).toBe(before);
    // The holder's lock is left alone.
    expect(readFileSync(lock, "utf8")).toBe(holding(pid));
  });

  it("--json carries the refusal as an error object", async () => {
    const pid = liveProcess();
    writeFileSync(lock, holding(pid));
    const result = await runCli(["sync", "--json"], dir);
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, exit: 2, error: { field: "lock", value: lock } });
  });

  it("read-only runs take no lock: sync --check, sync --dry-run, add --dry-run", async () => {
    const pid = liveProcess();
    writeFileSync(lock, holding(pid));
    for (const argv of [["sync", "--check"], ["sync", "--dry-run"], ["add", "worker", "beta", "--dry-run"]]) {
      const result = await runCli(argv, dir);
      expect(result.exitCode, `${argv.join(" ")}: ${result.stderr}`).toBe(0);
    }
    expect(readFileSync(lock, "utf8")).toBe(holding(pid));
  });
});

describe("a stale lock and releasing", () => {
  beforeEach(async () => {
    await create();
    lock = join(dir, ".git", LOCK_NAME);
  });

  it("a lock whose pid is dead is taken over, and the run succeeds", async () => {
    writeFileSync(lock, holding(await deadPid()));
    const result = await runCli(["add", "worker", "beta"], dir);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(workers()).toEqual(["scorer", "beta"]);
    expect(existsSync(lock)).toBe(false);
  });

  // pids are reused: a lock whose run died, its pid since given to another process, was never taken over.
  it("a lock whose pid is alive as another process (it started later than the run that wrote it) is taken over", async () => {
    const pid = liveProcess();
    const identity = processIdentity(pid);
    expect(identity, "this test needs Linux's /proc").toMatch(/^[0-9a-f-]+\/[0-9]+$/);
    const [boot, ticks] = identity!.split("/");
    const held = (process: string) => `${JSON.stringify({ pid, started: "2026-01-01T00:00:00.000Z", host: hostname(), process })}\n`;
    // The very process that took it: refused, as is an older run's lock that records no identity.
    writeFileSync(lock, held(identity!));
    expect((await runCli(["add", "worker", "beta"], dir)).stderr).toBe(REFUSAL(lock, pid));
    // Started earlier (the dead run), or in another boot: stale.
    for (const [name, other] of [["gamma", `${boot}/${Number(ticks) - 1}`], ["delta", `00000000-0000-0000-0000-000000000000/${ticks}`]] as const) {
      writeFileSync(lock, held(other));
      const result = await runCli(["add", "worker", name], dir);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(existsSync(lock)).toBe(false);
    }
    expect(workers()).toEqual(["scorer", "gamma", "delta"]);
  });

  it("the lock is gone after success, a refusal inside the run (2), a conflict (3) and Ctrl-C (130)", async () => {
    expect((await runCli(["add", "worker", "beta"], dir)).exitCode).toBe(0);
    expect(existsSync(lock)).toBe(false);

    const refused = await runCli(["add", "worker", "scorer"], dir);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/a worker with that name exists/);
    expect(existsSync(lock)).toBe(false);

    const ci = join(dir, ".github/workflows/ci.yml");
    writeFileSync(ci, readFileSync(ci, "utf8").replace('RUST_TOOLCHAIN: "1.95.0"', 'RUST_TOOLCHAIN: "1.94" # ours'));
    const m = JSON.parse(readFileSync(join(dir, "hybrid-backend.json"), "utf8"));
    m.toolchains.rust = "1.96.0";
    m.images["rust:1.96.0-bookworm"] = `sha256:${"96".repeat(32)}`;
    writeFileSync(join(dir, "hybrid-backend.json"), `${JSON.stringify(m, null, 2)}\n`);
    expect((await runCli(["sync"], dir)).exitCode).toBe(3);
    expect(existsSync(lock)).toBe(false);

    // Ctrl-C once the run holds the lock (seen on disk): it exits 130 and takes the lock with it.
    // (The checkout drops the uncommitted changes above: the manifest lists scorer alone again.)
    // (A signal that lands after the run released the lock, as it ends, kills it as usual.)
    git("checkout", "-q", "--", ".");
    const child = spawn(process.execPath, [CLI, "add", "worker", "gamma"], { cwd: dir, stdio: "ignore", env: { ...process.env, CI: "1" } });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let sawLock = false;
    for (let i = 0; i < 2000 && child.exitCode === null; i++) {
      if (existsSync(lock)) {
        sawLock = true;
        child.kill("SIGINT");
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const code = await exited;
    if (sawLock) expect([130, null], `exit code after Ctrl-C: ${code}`).toContain(code);
    expect(existsSync(lock)).toBe(false);
    // Either the old repository or the whole new one.
    expect(["scorer", "scorer,gamma"]).toContain(workers().join(","));
    expect((await runCli(["sync", "--check"], dir)).exitCode).toBe(0);
  });

  it("release removes only its own lock", async () => {
    const held = await acquireRepoLock(dir);
    expect(held.file).toBe(lock);
    expect(JSON.parse(readFileSync(lock, "utf8"))).toEqual({ pid: process.pid, started: expect.any(String), host: hostname(), process: processIdentity(process.pid) });
    // A second taker in the same live process is refused: the pid is alive.
    await expect(acquireRepoLock(dir)).rejects.toThrow(/is changing this repository/);
    writeFileSync(lock, holding(12345));
    held.release();
    expect(readFileSync(lock, "utf8")).toBe(holding(12345));
  });
});

describe("where the lock is", () => {
  it("a project in a folder of an enclosing repository: that repository's git dir, never the work tree", async () => {
    parent = tempDir("chb-lock-mono-");
    execFileSync("git", ["init", "-q", parent]);
    dir = join(parent, "services", "app");
    const created = await runCli(["services/app", "--yes", "--no-validate"], parent);
    expect(created.exitCode, created.stderr).toBe(0);
    lock = join(parent, ".git", LOCK_NAME);
    const pid = liveProcess();
    writeFileSync(lock, holding(pid));
    const result = await runCli(["add", "worker", "beta"], dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(REFUSAL(lock, pid));
    sleeper!.kill();
    await new Promise((resolve) => sleeper!.on("exit", resolve));
    // Now stale: taken over, and no lock file ever shows in the work tree.
    expect((await runCli(["add", "worker", "beta"], dir)).exitCode).toBe(0);
    expect(existsSync(lock)).toBe(false);
    expect(execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: parent, encoding: "utf8" })).not.toContain(LOCK_NAME);
  });

  it("a project outside git (create --no-git): beside its ledger", async () => {
    await create(["--no-git"]);
    lock = join(dir, ".hybrid-backend", LOCK_NAME);
    const pid = liveProcess();
    writeFileSync(lock, holding(pid));
    const result = await runCli(["add", "worker", "beta"], dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(REFUSAL(lock, pid));
    expect(workers()).toEqual(["scorer"]);
    writeFileSync(lock, holding(await deadPid()));
    expect((await runCli(["add", "worker", "beta"], dir)).exitCode).toBe(0);
    expect(existsSync(lock)).toBe(false);
    expect(workers()).toEqual(["scorer", "beta"]);
  });
});

describe("the lock of a repository being created", () => {
  // create takes the lock sync, add and remove take as soon as the new .git is in place, and holds it while it moves
  // the files in. A run against the folder then is refused as any other: exit 2, one line, nothing written. The create
  // run is held inside that window by a preload (test/helpers/pause-in-lock.mjs) so the test sees it every time.
  it("a sync or add while create holds it is refused (exit 2, one line); create then finishes", async () => {
    parent = tempDir("chb-lock-create-");
    dir = join(parent, "app");
    const pause = tempDir("chb-lock-pause-");
    const helper = join(import.meta.dirname, "..", "helpers", "pause-in-lock.mjs");
    const creating = execa("node", ["--import", pathToFileURL(helper).href, CLI, "app", "--yes", "--no-validate"], {
      cwd: parent,
      reject: false,
      stdin: "ignore",
      env: { CI: "1", PAUSE_DIR: pause },
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!existsSync(join(pause, "ready"))) {
        expect(Date.now(), "create never reached its lock window").toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      lock = join(dir, ".git", LOCK_NAME);
      const holder = JSON.parse(readFileSync(lock, "utf8")) as { pid: number; started: string };
      expect(holder.pid).toBe(creating.pid);
      for (const args of [["sync"], ["add", "worker", "beta"], ["remove", "ci", "github"]]) {
        const run = await runCli(args, dir);
        expect(run.exitCode, `${args.join(" ")}: ${run.stdout}${run.stderr}`).toBe(2);
        expect(run.stderr).toBe(`error: ${lock}: another hybrid-backend run (pid ${holder.pid}, started ${holder.started}) is changing this repository; wait for it, or remove ${lock} if no such run is alive`);
        expect(run.stdout).toBe("");
      }
    } finally {
      writeFileSync(join(pause, "go"), "");
    }
    const created = await creating;
    expect(created.exitCode, created.stderr).toBe(0);
    expect(existsSync(lock)).toBe(false);
    // Nothing the refused runs asked for happened, and the repository is as create made it.
    expect(workers()).toEqual(["scorer"]);
    expect(git("status", "--porcelain", "--untracked-files=all")).toBe("");
    const check = await runCli(["sync", "--check"], dir);
    expect(check.exitCode, check.stdout).toBe(0);
  });
});
