import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, snapshot, tempDir } from "../helpers/cli.js";

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, "hybrid-backend.json"), "utf8"));

describe("cli", () => {
  it("--dry-run lists the files and writes nothing", async () => {
    const cwd = tempDir();
    const result = await runCli(["app", "--yes", "--dry-run"], cwd);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Would create .*app with \d+ files:/);
    expect(result.stdout).toContain("  orchestrator/cmd/orchestrator/main.go");
    expect(snapshot(cwd)).toEqual([]);
  });

  it("--dry-run --json prints the file list as JSON", async () => {
    const result = await runCli(["app", "--dry-run", "--json"], tempDir());
    const out = JSON.parse(result.stdout) as { files: string[] };
    expect(out.files).toContain("workers/scorer/src/main.rs");
  });

  it("--config answers, with flags taking precedence", async () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, "answers.json"),
      JSON.stringify({ orchestrator: { router: "chi", module: "example.org/team/risk" }, docker: false }),
    );
    const result = await runCli(["risk", "--config", "answers.json", "--router", "stdlib", "--no-validate", "--no-git"], cwd);
    expect(result.exitCode, result.stderr).toBe(0);
    const m = manifestOf(join(cwd, "risk"));
    expect(m.orchestrator).toMatchObject({ router: "stdlib", module: "example.org/team/risk" });
    expect(m.docker).toBe(false);
  });

  it("--ci none and --no-docker leave those files out", async () => {
    const cwd = tempDir();
    const result = await runCli(["bare", "--ci", "none", "--no-docker", "--no-validate", "--no-git"], cwd);
    expect(result.exitCode, result.stderr).toBe(0);
    const files = snapshot(join(cwd, "bare"));
    expect(files.filter((f) => /Dockerfile|docker-compose|\.github/.test(f))).toEqual([]);
    expect(manifestOf(join(cwd, "bare")).ci.providers).toEqual([]);
  });

  it("--help and --version answer without writing", async () => {
    const cwd = tempDir();
    const help = await runCli(["--help"], cwd);
    expect(help.stdout).toContain("--router KIND");
    const version = await runCli(["--version"], cwd);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
    expect(snapshot(cwd)).toEqual([]);
  });

  it("doctor --json names every toolchain", async () => {
    const result = await runCli(["doctor", "--json"], tempDir());
    const report = JSON.parse(result.stdout) as { tools: { name: string }[] };
    expect(report.tools.map((t) => t.name)).toEqual(["go", "cargo", "rustfmt", "clippy", "python3", "git", "kubectl", "buf"]);
  });
});
