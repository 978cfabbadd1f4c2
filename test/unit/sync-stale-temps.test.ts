import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { processIdentity, startTicks } from "../../src/write/process-identity.js";
import { asideName, stagedName } from "../../src/write/temp-names.js";
import { runCli } from "../helpers/cli.js";
import { builtApp, gitIn } from "../helpers/built-app.js";

/**
 * A sync killed where it cannot hold the signal (kill -9) leaves its temp
 * files; the next writing run clears those of runs no longer alive, puts
 * back what was set aside for removal, and touches nothing else. The crash
 * is simulated by planting the files a killed run leaves, with the pid of
 * a child that has exited.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let dir: string;
beforeEach(async () => {
  ({ dir } = await builtApp("chb-sync-stale-"));
});

const git = (...args: string[]) => gitIn(dir, ...args);
const untracked = () => git("status", "--porcelain", "--ignored", "--untracked-files=all").split("\n").filter(Boolean).sort();
const plant = (path: string) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), "staged\n");
};

describe("temp files of a killed run", () => {
  it("are removed by the next sync (folders made for them too), set-aside files come back, nothing else is touched", async () => {
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const debris = [
      `Makefile.hybrid-backend-${dead}.tmp`,
      `hybrid-backend.json.hybrid-backend-${dead}.tmp`,
      `.hybrid-backend/ledger.json.hybrid-backend-${dead}.tmp`,
      `workers/pricing/Cargo.toml.hybrid-backend-${dead}.tmp`,
      `workers/pricing/src/main.rs.hybrid-backend-${dead}.tmp`,
      `deploy/kubernetes/base/workers/pricing/service.yaml.hybrid-backend-${dead}.tmp`,
    ];
    debris.forEach(plant);
    // Set aside for removal: put back; one whose place is taken again just goes (it is a generated file, in git).
    const readme = readFileSync(join(dir, "README.md"));
    renameSync(join(dir, "README.md"), join(dir, `README.md.hybrid-backend-${dead}.removing`));
    copyFileSync(join(dir, "buf.yaml"), join(dir, `buf.yaml.hybrid-backend-${dead}.removing`));
    // Not this tool's, or not a dead run's: each must survive.
    const kept = [
      `Makefile.hybrid-backend-${process.pid}.tmp`, // a live run's
      `Makefile.hybrid-backend-${dead}.tmp.bak`,
      `Makefile.hybrid-backend-x${dead}.tmp`,
      `Makefile.hybrid-backend-0${dead}.tmp`,
      "notes.tmp",
      `workers/keep/lib.rs.hybrid-backend-${dead}.tmp`, // in a folder holding something of the user's: not walked
      "workers/keep/ours.rs",
    ];
    kept.forEach(plant);
    symlinkSync("go.mod", join(dir, "orchestrator", `go.mod.hybrid-backend-${dead}.tmp`));
    kept.push(`orchestrator/go.mod.hybrid-backend-${dead}.tmp`); // a link, not a file sync writes
    const planted = untracked();

    // --check and --dry-run change nothing; --check answers only whether the generated files are stale.
    expect((await runCli(["sync", "--check"], dir)).exitCode).toBe(0);
    expect((await runCli(["sync", "--dry-run"], dir)).exitCode).toBe(0);
    expect(untracked()).toEqual(planted);

    const sync = await runCli(["sync"], dir);
    expect(sync.exitCode, sync.stderr).toBe(0);
    expect(sync.stdout).not.toMatch(/kept-deleted/);
    expect(readFileSync(join(dir, "README.md"))).toEqual(readme);
    expect(existsSync(join(dir, "workers", "pricing"))).toBe(false);
    expect(existsSync(join(dir, "deploy", "kubernetes", "base", "workers", "pricing"))).toBe(false);
    expect(untracked()).toEqual(kept.map((path) => `?? ${path}`).sort());
  });
});

describe("temp files whose pid was reused", () => {
  // The name records when its run started: a live process with that pid, started at another time, is not that run.
  it("are removed (or put back) when the pid is alive as another process; a live run's own are left", async () => {
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
    try {
      const pid = other.pid!;
      const ticks = startTicks(pid);
      expect(ticks, "this test needs Linux's /proc").toMatch(/^[0-9]+$/);
      const earlier = Number(ticks) - 1;
      plant(`Makefile.hybrid-backend-${pid}-${earlier}.tmp`);
      plant(`workers/pricing/Cargo.toml.hybrid-backend-${pid}-${earlier}.tmp`);
      const readme = readFileSync(join(dir, "README.md"));
      renameSync(join(dir, "README.md"), join(dir, `README.md.hybrid-backend-${pid}-${earlier}.removing`));
      // That process's own, and an older run's name without a start time: alive, left alone.
      const kept = [`Makefile.hybrid-backend-${pid}-${ticks}.tmp`, `buf.yaml.hybrid-backend-${pid}.tmp`];
      kept.forEach(plant);

      const sync = await runCli(["sync"], dir);
      expect(sync.exitCode, sync.stderr).toBe(0);
      expect(sync.stdout).not.toMatch(/kept-deleted/);
      expect(readFileSync(join(dir, "README.md"))).toEqual(readme);
      expect(existsSync(join(dir, "workers", "pricing"))).toBe(false);
      expect(untracked()).toEqual(kept.map((path) => `?? ${path}`).sort());
    } finally {
      other.kill();
    }
  });
});

describe("temp files of a run in another boot", () => {
  // Start times count from boot: after a reboot a new process may have the dead run's pid and start time. The name
  // records the same identity a lock does (boot id and start time, process-identity.ts), so that is told apart too.
  it("names carry the lock's process identity; one from another boot with a live pid and start time is removed", async () => {
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
    try {
      const pid = other.pid!;
      const identity = processIdentity(pid);
      expect(identity, "this test needs Linux's /proc").toMatch(/^[0-9a-f-]{36}\/[0-9]+$/);
      const [boot, ticks] = identity!.split("/");
      expect(stagedName("Makefile", pid)).toBe(`Makefile.hybrid-backend-${pid}-${boot}-${ticks}.tmp`);
      expect(asideName("Makefile", pid)).toBe(`Makefile.hybrid-backend-${pid}-${boot}-${ticks}.removing`);
      const elsewhere = `00000000-0000-0000-0000-000000000000`;
      plant(`Makefile.hybrid-backend-${pid}-${elsewhere}-${ticks}.tmp`);
      const readme = readFileSync(join(dir, "README.md"));
      renameSync(join(dir, "README.md"), join(dir, `README.md.hybrid-backend-${pid}-${elsewhere}-${ticks}.removing`));
      const kept = [`Makefile.hybrid-backend-${pid}-${boot}-${ticks}.tmp`];
      kept.forEach(plant);

      const sync = await runCli(["sync"], dir);
      expect(sync.exitCode, sync.stderr).toBe(0);
      expect(readFileSync(join(dir, "README.md"))).toEqual(readme);
      expect(untracked()).toEqual(kept.map((path) => `?? ${path}`).sort());
    } finally {
      other.kill();
    }
  });
});
