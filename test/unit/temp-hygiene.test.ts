import { execa } from "execa";
import { existsSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_TMP_VAR, removeTempDirs, tempDir } from "../helpers/temp-dirs.js";

/**
 * A test run must not leave its temp folders behind: one run left 24 GB in
 * /tmp, and the next CI run on that disk failed half its e2e files.
 */
describe("test temp folders", () => {
  const root = process.env[RUN_TMP_VAR];

  it("live in the run's own folder, which is TMPDIR for this worker and every process it spawns", async () => {
    expect(root, "temp-root.ts ran as globalSetup").toBeTruthy();
    expect(tmpdir()).toBe(root);
    const child = await execa("node", ["-p", "require('os').tmpdir()"]);
    expect(child.stdout).toBe(root);
    const dir = tempDir();
    expect(relative(root!, dir).startsWith("..")).toBe(false);
  });

  it("are removed when the file ends, even ones a test made read-only", () => {
    const dir = tempDir();
    const locked = join(dir, "locked");
    mkdirSync(locked);
    writeFileSync(join(locked, "file"), "x");
    chmodSync(locked, 0o500);
    expect(removeTempDirs()).toBeGreaterThanOrEqual(1);
    expect(existsSync(dir)).toBe(false);
  });
});
