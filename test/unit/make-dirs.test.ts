import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeDirs } from "../../src/make-dirs.js";
import { tempDir } from "../helpers/temp-dirs.js";

describe("makeDirs", () => {
  it("creates the missing levels and returns the first it made, undefined when all existed", () => {
    const root = tempDir("mkdirs-");
    expect(makeDirs(join(root, "a", "b", "c"))).toBe(join(root, "a"));
    expect(existsSync(join(root, "a", "b", "c"))).toBe(true);
    expect(makeDirs(join(root, "a", "b"))).toBeUndefined();
    expect(makeDirs(join(root, "a", "b", "d"))).toBe(join(root, "a", "b", "d"));
  });

  it("throws mkdir's error for the level that failed, and makes nothing past it", () => {
    const root = tempDir("mkdirs-");
    writeFileSync(join(root, "file"), "mine");
    expect(() => makeDirs(join(root, "file", "x", "y"))).toThrow(expect.objectContaining({ code: "ENOTDIR", path: join(root, "file", "x") }));
  });

  it.runIf(process.platform === "linux")("returns at once where the system answers ENOENT under a folder that exists (/proc)", () => {
    // Node's own recursive mkdir retries this level forever.
    expect(() => makeDirs("/proc/hybrid-backend-test/x")).toThrow(expect.objectContaining({ code: "ENOENT", path: "/proc/hybrid-backend-test" }));
  });
});
