import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { equivalentCommand } from "../../src/commands/equivalent.js";
import { parseManifest } from "../../src/manifest.js";
import { runCli, snapshot, tempDir } from "../helpers/cli.js";

/**
 * A new user asked for two workers found no flag for it: --help named none,
 * `--workers` was "an unknown option", and --config with
 * {"workers": ["scorer", "pricing"]} answered only "expected object". The
 * workers are a create option like the others, in the flags and in an answers
 * file by the flag's own name, each taking --transport.
 */
describe("--workers", () => {
  it("names the workers, the first the primary, each with --transport", async () => {
    const cwd = tempDir();
    const r = await runCli(["app", "--workers", "scorer, pricing", "--transport", "uds", "--ci", "gitlab", "--no-validate", "--no-git"], cwd);
    expect(r.exitCode, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(cwd, "app", "hybrid-backend.json"), "utf8"));
    expect(m.workers).toEqual([
      { name: "scorer", transport: "uds" },
      { name: "pricing", transport: "uds" },
    ]);
  });

  it('an answers file may give them by the flag\'s name: "workers": "scorer,pricing"', async () => {
    const cwd = tempDir();
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(cwd, "answers.json"), JSON.stringify({ workers: "scorer,pricing" }));
    const r = await runCli(["app", "--config", "answers.json", "--dry-run", "--json"], cwd);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { files: string[] }).files).toContain("workers/pricing/src/main.rs");
  });

  // --workers over a --config that gave each worker its transport replaced the list
  // with bare names, so the file's uds worker became tcp, unsaid.
  it("over a --config, a worker the file gave a transport keeps it; --transport still sets every one", async () => {
    const cwd = tempDir();
    const { writeFileSync } = await import("node:fs");
    const config = { workers: [{ name: "scorer", transport: "tcp" }, { name: "ranker", transport: "uds" }] };
    writeFileSync(join(cwd, "answers.json"), JSON.stringify(config));
    const workers = async (...flags: string[]) => {
      const dir = `app${flags.length}`;
      const r = await runCli([dir, "--config", "answers.json", "--yes", "--no-validate", "--no-git", ...flags], cwd);
      expect(r.exitCode, r.stderr).toBe(0);
      return JSON.parse(readFileSync(join(cwd, dir, "hybrid-backend.json"), "utf8")).workers;
    };
    expect(await workers("--workers", "ranker,scorer,pricing")).toEqual([
      { name: "ranker", transport: "uds" },
      { name: "scorer", transport: "tcp" },
      { name: "pricing", transport: "tcp" },
    ]);
    expect(await workers("--workers", "scorer,ranker", "--transport", "tcp")).toEqual([
      { name: "scorer", transport: "tcp" },
      { name: "ranker", transport: "tcp" },
    ]);
    // A kept transport the schema refuses is named where it was written.
    writeFileSync(join(cwd, "bad.json"), JSON.stringify({ workers: [{ name: "scorer" }, { name: "ranker", transport: "udp" }] }));
    const r = await runCli(["bad", "--config", "bad.json", "--workers", "ranker,scorer", "--yes", "--no-validate", "--no-git"], cwd);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: --config bad\.json workers\.\d\.transport: "udp" is not valid; allowed: tcp, uds$/);
    expect(existsSync(join(cwd, "bad"))).toBe(false);
  });

  // The flags' names at top level of an answers file: a list flag's string worked for ci and
  // workers but "deploy": "none" was "expected array", and a misspelt flag name ("routr")
  // got neither a guess nor the flags' names among the keys listed.
  it('an answers file takes every list flag\'s string ("deploy": "none") and names the flags\' keys when one is misspelt', async () => {
    const cwd = tempDir();
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(cwd, "deploy.json"), JSON.stringify({ deploy: "none", ci: "gitlab" }));
    const ok = await runCli(["app", "--config", "deploy.json", "--dry-run", "--json"], cwd);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as { files: string[] }).files.some((f) => f.startsWith("deploy/"))).toBe(false);
    writeFileSync(join(cwd, "typo.json"), JSON.stringify({ routr: "chi" }));
    const typo = await runCli(["app", "--config", "typo.json", "--yes", "--no-validate", "--no-git"], cwd);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr.trim().split("\n")).toHaveLength(1);
    expect(typo.stderr).toContain('--config typo.json: "routr" is not valid; an unknown key; remove it (did you mean router?)');
    expect(typo.stderr).toMatch(/the keys here are .*orchestrator.*, or the flags' names module, ingress, router, sink, transport$/m);
    expect(snapshot(cwd).filter((f) => !f.endsWith(".json"))).toEqual([]);
  });

  it("--help lists it", async () => {
    const r = await runCli(["--help"], tempDir());
    expect(r.stdout).toMatch(/^ {2}--workers LIST {7}comma-separated Rust worker names/m);
  });

  it.each([
    ["scorer,Bad", 'workers.1.name (--workers): "Bad" is not valid; use 2-24 characters'],
    ["scorer,,x", 'workers (--workers): "scorer,,x" is not valid; an empty entry; give a comma-separated list of 1 to 8 worker names'],
    ["scorer,scorer", 'workers.1.name (--workers): "scorer" is not valid; give each worker a different name'],
    // As typed, where the schema quoted the list it became ([{"name":"a1"},...).
    ["a1,a2,a3,a4,a5,a6,a7,a8,a9", 'workers (--workers): "a1,a2,a3,a4,a5,a6,a7,a8,a9" is not valid; 9 workers; give a comma-separated list of 1 to 8 worker names'],
  ])("%s: exit 2, one line naming it, nothing written", async (value, line) => {
    const cwd = tempDir();
    const r = await runCli(["app", "--yes", "--no-validate", "--no-git", "--workers", value], cwd);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(line);
    expect(snapshot(cwd)).toEqual([]);
  });

  it("the equivalent command of an interactive run gives them", () => {
    const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator" }, workers: [{ name: "scorer" }, { name: "pricing" }] });
    expect(equivalentCommand("app", m)).toContain("--workers scorer,pricing");
    expect(equivalentCommand("app", parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator" } }))).not.toContain("--workers");
  });
});
