import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { shownPath } from "../../src/shown-path.js";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * A new user created /tmp/app from their checkout and was told
 * `Created ../../tmp/app` and `cd ../../tmp/app`: a path they never typed,
 * right only from that one folder. Below the current folder a path stays
 * relative; elsewhere it is named absolute.
 */
describe("shownPath", () => {
  it("is relative below the current folder, absolute outside it", () => {
    expect(shownPath("/home/u/work/app", "/home/u/work")).toBe("app");
    expect(shownPath("/home/u/work", "/home/u/work")).toBe(".");
    expect(shownPath("/home/u/work/..app", "/home/u/work")).toBe("..app");
    expect(shownPath("/tmp/app", "/home/u/work")).toBe("/tmp/app");
    expect(shownPath("/home/u", "/home/u/work")).toBe("..");
    expect(shownPath("/home/u/other", "/home/u/work")).toBe("/home/u/other");
  });

  it("names a project created outside the current folder by its absolute path, in create's report and its next steps", async () => {
    const root = tempDir();
    const cwd = join(root, "checkout", "sub");
    mkdirSync(cwd, { recursive: true });
    const target = join(root, "elsewhere", "app");
    const r = await runCli([target, "--yes", "--no-validate", "--no-git"], cwd);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Created ${target} (`);
    expect(r.stdout).toContain(`cd ${target}\n`);
    expect(r.stdout).not.toContain("../");
  });
});
