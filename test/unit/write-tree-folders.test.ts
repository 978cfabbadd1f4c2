import * as fs from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { FileTree } from "../../src/render/index.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

// Every stat and mkdir writeTree makes.
const calls: string[] = [];
vi.mock("node:fs", async (original) => {
  const real = await original<typeof import("node:fs")>();
  return {
    ...real,
    statSync: ((path: fs.PathLike, options?: unknown) => {
      calls.push(`stat ${String(path)}`);
      return real.statSync(path, options as never);
    }) as typeof real.statSync,
    mkdirSync: ((path: fs.PathLike, options?: unknown) => {
      calls.push(`mkdir ${String(path)}`);
      return real.mkdirSync(path, options as never);
    }) as typeof real.mkdirSync,
  };
});

const tree = (paths: string[]): FileTree => new Map(paths.map((p) => [p, { content: Buffer.from(p), mode: 0o644 }]));

/**
 * create writes a default project's ~70 folders on every user's clock: one
 * mkdir each, no stat asking first whether each is there (a failed stat
 * throws, which is most of what it costs).
 */
describe("writeTree's folders", () => {
  it("makes each folder below the root with one mkdir and stats none of them", () => {
    const root = tempDir();
    calls.length = 0;
    writeTree(root, tree(["a/b/c/one.txt", "a/b/two.txt", "a/d/three.txt", "top.txt"]));
    const below = calls.filter((c) => c.includes(`${root}/`) && !c.endsWith(".txt"));
    expect(below).toEqual([`mkdir ${join(root, "a")}`, `mkdir ${join(root, "a/b")}`, `mkdir ${join(root, "a/b/c")}`, `mkdir ${join(root, "a/d")}`]);
    expect(fs.readFileSync(join(root, "a/b/c/one.txt"), "utf8")).toBe("a/b/c/one.txt");
  });

  it("writes over a tree already there (folders existing)", () => {
    const root = tempDir();
    writeTree(root, tree(["a/b/one.txt"]));
    writeTree(root, new Map([["a/b/one.txt", { content: Buffer.from("again"), mode: 0o644 }]]));
    expect(fs.readFileSync(join(root, "a/b/one.txt"), "utf8")).toBe("again");
  });

  it("makes a root that is not there yet", () => {
    const root = join(tempDir(), "x", "y");
    writeTree(root, tree(["f.txt"]));
    expect(fs.readFileSync(join(root, "f.txt"), "utf8")).toBe("f.txt");
  });
});
