import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { shownPath } from "../../src/shown-path.js";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * A new user created /tmp/app from their checkout and was told
 * `Created ../../tmp/app` and `cd ../../tmp/app`: a path they never typed,
 * right only from that one folder. Then this tool's own README's
 * `npm create hybrid-backend ../my-app` was reported as `/home/me/my-app`,
 * again not what they typed. A folder typed is shown as typed (relative to
 * where they are, or absolute), so `cd` works from there; one the tool found
 * is relative below the current folder, absolute elsewhere.
 */
describe("shownPath", () => {
  it("shows a folder the user typed as typed: relative when given relative, wherever it lies; absolute when given absolute", () => {
    const cwd = "/home/me/work";
    expect(shownPath("/home/me/my-app", "../my-app", cwd)).toBe("../my-app");
    expect(shownPath("/home/me/work/app", "./app/", cwd)).toBe("app");
    expect(shownPath("/home/me/work/app", "app", cwd)).toBe("app");
    expect(shownPath("/home/me/work", ".", cwd)).toBe(".");
    expect(shownPath("/tmp/app", "../../../tmp/app", cwd)).toBe("../../../tmp/app");
    expect(shownPath("/tmp/app", "/tmp/app", cwd)).toBe("/tmp/app");
    expect(shownPath("/home/me/work/app", "/home/me/work/app", cwd)).toBe("/home/me/work/app");
  });

  it("shows a folder the tool found relative below the current folder, absolute outside it", () => {
    expect(shownPath("/home/u/work/app", undefined, "/home/u/work")).toBe("app");
    expect(shownPath("/home/u/work", undefined, "/home/u/work")).toBe(".");
    expect(shownPath("/home/u/work/..app", undefined, "/home/u/work")).toBe("..app");
    expect(shownPath("/tmp/app", undefined, "/home/u/work")).toBe("/tmp/app");
    expect(shownPath("/home/u", undefined, "/home/u/work")).toBe("..");
    expect(shownPath("/home/u/other", undefined, "/home/u/work")).toBe("/home/u/other");
  });

  it("names a project created outside the current folder by its absolute path when typed so, in create's report and its next steps", async () => {
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

  it("names one typed relative, outside the current folder, as typed, and its next steps' cd works from there", async () => {
    const root = tempDir();
    const cwd = join(root, "work");
    mkdirSync(cwd);
    const r = await runCli(["../my-app", "--yes", "--no-validate", "--no-git"], cwd);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("Created ../my-app (");
    const cd = /^ {2}(cd .+)$/m.exec(r.stdout)?.[1];
    expect(cd).toBe("cd ../my-app");
    execFileSync("bash", ["-c", `${cd} && test -f hybrid-backend.json`], { cwd });
    expect(r.stdout).not.toContain(root);
    // sync and add name it the same way.
    const sync = await runCli(["sync", "--dry-run", "../my-app"], cwd);
    expect(sync.stdout.split("\n")[0]).toMatch(/^sync --dry-run \.\.\/my-app: /);
    expect(existsSync(join(root, "my-app", "workers"))).toBe(true);
  });
});
