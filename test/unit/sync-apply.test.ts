import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { LEDGER_FILE, parseLedger } from "../../src/sync/ledger.js";
import type { FileAction } from "../../src/sync/plan.js";
import { applySync } from "../../src/write/sync.js";
import { CLI, runCli } from "../helpers/cli.js";
import { builtApp, changesIn, gitIn } from "../helpers/built-app.js";

/**
 * sync changes a repo all or nothing, only inside it, and --check / --dry-run
 * change nothing at all, .git included. Through the built CLI, on a committed
 * repo, as a team runs it.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let parent: string;
let dir: string;
beforeEach(async () => {
  ({ parent, dir } = await builtApp("chb-sync-apply-"));
});

const git = (...args: string[]) => gitIn(dir, ...args);
const changes = () => changesIn(dir);
const objects = () => readdirSync(join(dir, ".git", "objects"), { recursive: true }).length;

describe("sync writes all or nothing", () => {
  it("a file in the way of a new folder: exit 2 naming it, and not one file changed", async () => {
    writeFileSync(join(dir, "workers", "pricing"), "ours\n");
    git("add", "-A");
    git("commit", "-qm", "a file where add worker puts a folder");
    const add = await runCli(["add", "worker", "pricing"], dir);
    expect(add.exitCode, add.stderr).toBe(2);
    expect(add.stderr.trim().split("\n")).toHaveLength(1);
    expect(add.stderr).toMatch(/^error: workers\/pricing: "a file" is not valid; .*nothing was changed/);
    expect(changes()).toBe("");
    // The manifest was not changed either, so --check has nothing to report.
    expect((await runCli(["sync", "--check"], dir)).exitCode).toBe(0);
  });

  it("a folder where --force would bring back a deleted file: exit 2, nothing changed", async () => {
    rmSync(join(dir, "Makefile"));
    mkdirSync(join(dir, "Makefile"));
    writeFileSync(join(dir, "Makefile", "keep"), "ours\n");
    const before = changes();
    const sync = await runCli(["sync", "--force"], dir);
    expect(sync.exitCode, sync.stderr).toBe(2);
    expect(sync.stderr).toMatch(/^error: Makefile: "a folder" is not valid; it is a generated file, which sync reads and writes only as a file/);
    expect(sync.stderr).not.toMatch(/unexpected|EISDIR/);
    expect(changes()).toBe(before);
  });

  it("Ctrl-C at any moment of add worker leaves the old repo or the whole new one", async () => {
    const delays = [150, 300, 450, 600, 750, 900];
    const outcomes = new Set<string>();
    for (const delay of delays) {
      git("reset", "-q", "--hard");
      git("clean", "-qfdx");
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [CLI, "add", "worker", "pricing"], { cwd: dir, stdio: "ignore" });
        const timer = setTimeout(() => child.kill("SIGINT"), delay);
        child.on("exit", (c, signal) => {
          clearTimeout(timer);
          resolve(c ?? (signal ? 128 : null));
        });
      });
      const manifest = readFileSync(join(dir, "hybrid-backend.json"), "utf8");
      if (changes() === "") {
        outcomes.add("old");
        continue;
      }
      // Changed: then completely. The manifest names the worker and every file is current.
      expect(manifest, `after SIGINT at ${delay} ms (exit ${code})`).toContain('"pricing"');
      const check = await runCli(["sync", "--check"], dir);
      expect(check.exitCode, `after SIGINT at ${delay} ms: ${check.stdout}`).toBe(0);
      expect(changes()).not.toMatch(/\.tmp$/m);
      outcomes.add("new");
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });
});

describe("Ctrl-C while sync stages its files", () => {
  it("removes the temp files, changes nothing and exits 130", async () => {
    const before = changes();
    // The signal arrives while the new Makefile is being staged (its bytes are read there).
    const write = {
      mode: 0o644,
      asIs: true,
      get content() {
        process.emit("SIGINT", "SIGINT");
        return Buffer.from("new\n");
      },
    };
    const actions = [{ path: "Makefile", status: "updated", write }] as unknown as FileAction[];
    const ledger = parseLedger(readFileSync(join(dir, LEDGER_FILE), "utf8"));
    const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    try {
      await expect(applySync(dir, actions, { worktree: undefined, ledger, generated: new Map() })).rejects.toThrow("exit 130");
    } finally {
      exit.mockRestore();
    }
    expect(changes()).toBe(before);
  });
});

describe("sync writes only inside the repository", () => {
  it("a generated folder that is a symbolic link out of the repo: exit 2, nothing written through it", async () => {
    const outside = join(parent, "outside");
    renameSync(join(dir, "deploy"), outside);
    symlinkSync("../outside", join(dir, "deploy"));
    const listing = () => readdirSync(outside, { recursive: true }).sort().join("\n");
    const before = listing();
    const add = await runCli(["add", "worker", "pricing"], dir);
    expect(add.exitCode, add.stderr).toBe(2);
    expect(add.stderr).toMatch(/^error: deploy \(a symbolic link\): "\.\.\/outside" is not valid; sync writes only inside the repository/);
    expect(listing()).toBe(before);
    expect(existsSync(join(outside, "kubernetes", "base", "workers", "pricing"))).toBe(false);
    // Reading does not go through it either: the files there are not the repo's.
    const check = await runCli(["sync", "--dry-run"], dir);
    expect(check.stdout).not.toMatch(/deploy\/kubernetes\/.*updated/);
  });
});

describe("sync --check and --dry-run change nothing", () => {
  it("not even .git's object store, when a merge is needed", async () => {
    writeFileSync(join(dir, "Makefile"), `${readFileSync(join(dir, "Makefile"), "utf8")}\n# ours\n`);
    const manifest = JSON.parse(readFileSync(join(dir, "hybrid-backend.json"), "utf8"));
    manifest.ci.providers = ["github", "gitlab"];
    writeFileSync(join(dir, "hybrid-backend.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    const before = objects();
    const check = await runCli(["sync", "--check"], dir);
    expect(check.exitCode).toBe(3);
    const dry = await runCli(["sync", "--dry-run"], dir);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/\.gitlab-ci\.yml/);
    expect(objects()).toBe(before);
  });
});
