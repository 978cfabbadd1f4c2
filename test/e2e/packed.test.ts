import { execa } from "execa";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, tempDir } from "../helpers/cli.js";
import { freePort } from "../../src/validate/ports.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * The package as npm publishes it: `npm pack`, then the tarball run through
 * npx in an empty folder, which is what `npm create hybrid-backend` does.
 * This is the default preset's full proof (generate + validate), and then
 * the generated repo's own README commands, run as written.
 */
describe("packed package", () => {
  // The README's commands as written build with the repo's own release profile, not the
  // quick one the other e2e cases build with (toolchain-env.ts).
  const { CARGO_PROFILE_RELEASE_LTO: _lto, CARGO_PROFILE_RELEASE_CODEGEN_UNITS: _units, ...asWritten } = E2E_ENV;
  const work = tempDir("chb-pack-");
  let tarball = "";

  // What goes in the tarball, file by file, is test/unit/pack.test.ts's job.
  it("packs a small tarball", async () => {
    const packed = await execa("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT, stdin: "ignore" });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, info!.filename);
    expect(info!.files.map((f) => f.path)).toContain("dist/cli.js");
    expect(statSync(tarball).size).toBeLessThan(3 * 1024 * 1024);
  });

  it("creates and validates my-app via npx, as npm create does", async () => {
    // The issue's exact form: the tarball beside an otherwise empty folder's
    // contents, run as `npx ./create-hybrid-backend-<version>.tgz my-app --yes`
    // (npx's own --yes answers its install question; there is no TTY here).
    const cwd = join(work, "empty");
    mkdirSync(cwd);
    copyFileSync(tarball, join(cwd, basename(tarball)));
    const run = await execa("npx", ["--yes", `./${basename(tarball)}`, "my-app", "--yes"], {
      cwd,
      env: { ...E2E_ENV, npm_config_loglevel: "error", CI: "1" },
      reject: false,
      stdin: "ignore",
      all: true,
    });
    expect(run.exitCode, run.all).toBe(0);
    expect(run.stdout).toContain("All checks passed");
    expect(readdirSync(cwd).sort()).toEqual([basename(tarball), "my-app"].sort());
    const log = await execa("git", ["log", "--oneline"], { cwd: join(cwd, "my-app") });
    expect(log.stdout).toMatch(/Initial commit from create-hybrid-backend/);
  });

  it("runs the generated README's commands as written: make lint build test smoke", async () => {
    const repo = join(work, "empty", "my-app");
    const make = await execa("make", ["lint", "build", "test", "smoke"], {
      cwd: repo,
      env: asWritten,
      reject: false,
      stdin: "ignore",
      all: true,
    });
    expect(make.exitCode, make.all?.slice(-4000)).toBe(0);
    expect(make.stdout).toContain("smoke passed");
  });

  it("serves the README's curl example under make run, and stops on SIGTERM", async () => {
    const repo = join(work, "empty", "my-app");
    const readme = readFileSync(join(repo, "README.md"), "utf8");
    const body = /-d '(\{"id":"txn-1".*\})'/.exec(readme)?.[1];
    expect(body, "README lost its curl example").toBeDefined();
    const http = `127.0.0.1:${await freePort()}`;
    const run = execa("make", ["run"], {
      cwd: repo,
      // The documented settings: run.sh passes them to the orchestrator and starts the worker there.
      env: { ...asWritten, LISTEN_ADDR: http, WORKER_SCORER_ADDR: `127.0.0.1:${await freePort()}` },
      detached: true,
      reject: false,
      stdin: "ignore",
      all: true,
    });
    try {
      const deadline = Date.now() + 120_000;
      while ((await fetch(`http://${http}/readyz`).then((r) => r.status, () => 0)) !== 200) {
        expect(Date.now(), "make run never became ready").toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 250));
      }
      const res = await fetch(`http://${http}/v1/score`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(200);
      const scored = (await res.json()) as { id: string; score: number; modelVersion: string };
      expect(scored.id).toBe("txn-1");
      expect(scored.score).toBeGreaterThan(0);
      expect(scored.score).toBeLessThanOrEqual(1);
      expect(scored.modelVersion).not.toBe("");
    } finally {
      process.kill(-run.pid!, "SIGTERM");
      await run;
    }
    const after = await fetch(`http://${http}/healthz`).then((r) => r.status, () => "refused");
    expect(after).toBe("refused");
  });

  it("syncs with the tarball as the README says for a release npx cannot fetch", async () => {
    const repo = join(work, "empty", "my-app");
    const line = /`(make sync HYBRID_BACKEND='npx --yes -p \/path\/to\/(create-hybrid-backend-[^']+\.tgz) hybrid-backend')`/.exec(readFileSync(join(repo, "README.md"), "utf8"));
    expect(line, "README lost its tarball sync").not.toBeNull();
    expect(line![2]).toBe(basename(tarball));
    const sync = await execa("bash", ["-c", `${line![1]!.replace("/path/to/", `${work}/`)} SYNC_FLAGS=--check`], {
      cwd: repo,
      env: { ...E2E_ENV, npm_config_loglevel: "error", CI: "1" },
      reject: false,
      stdin: "ignore",
      all: true,
    });
    expect(sync.exitCode, sync.all).toBe(0);
    expect(sync.stdout).toContain("generated files are current");
  });
});
