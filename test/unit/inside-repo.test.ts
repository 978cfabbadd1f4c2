import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, snapshot, tempDir } from "../helpers/cli.js";

/** A folder that reads as a generated repo to create: it holds hybrid-backend.json. */
function generatedRepo(): string {
  const repo = tempDir();
  writeFileSync(join(repo, "hybrid-backend.json"), "{}\n");
  mkdirSync(join(repo, "workers"));
  return repo;
}

describe("create from a bare word inside a generated repo", () => {
  it.each([
    ["the repo's root", ""],
    ["one of its folders", "workers"],
  ])("refuses an unknown command word in %s, writing nothing", async (_, sub) => {
    const repo = generatedRepo();
    const before = snapshot(repo);
    const result = await runCli(["change", "--yes", "--no-validate"], join(repo, sub));
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('command: "change" is not valid; not a command (validate, doctor, sync, add, remove, cache)');
    expect(lines[0]).toContain(repo);
    expect(lines[0]).toContain("pass ./change");
    expect(snapshot(repo)).toEqual(before);
  });

  it("still creates there given a path (./word), on purpose", async () => {
    const result = await runCli(["./change", "--yes", "--dry-run"], generatedRepo());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Would create .*change with \d+ files:/);
  });

  it("leaves a bare word a new project's folder anywhere else (npm create hybrid-backend my-app)", async () => {
    const result = await runCli(["my-app", "--yes", "--dry-run"], tempDir());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Would create .*my-app with \d+ files:/);
  });
});

describe("create with no folder and no prompt inside a generated repo", () => {
  it.each([
    ["--yes", ["--yes", "--no-validate"]],
    ["--yes --name", ["--yes", "--no-validate", "--name", "other"]],
    ["--dry-run", ["--yes", "--dry-run"]],
  ])("refuses the default folder (%s), writing nothing", async (_, args) => {
    const repo = generatedRepo();
    const before = snapshot(repo);
    const result = await runCli(args, join(repo, "workers"));
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    const name = args.includes("--name") ? "other" : "my-app";
    expect(lines[0]).toContain(`folder: (missing) is not valid; this folder is inside the generated repo ${repo}`);
    expect(lines[0]).toContain(`pass ./${name}`);
    expect(snapshot(repo)).toEqual(before);
  });
});
