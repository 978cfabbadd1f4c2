import { mkdirSync, readdirSync, statSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/errors.js";
import type { FileEntry, FileTree } from "../../src/render/index.js";
import { createProject, writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

const tree = (entries: Record<string, string>): FileTree =>
  new Map(Object.entries(entries).map(([p, c]) => [p, { content: Buffer.from(c), mode: p.endsWith(".sh") ? 0o755 : 0o644 }]));

const sigintListeners = process.listenerCount("SIGINT");

/** A file entry whose content, when read for writing, delivers SIGINT to this process first. */
function withSignal(entry: FileEntry): FileEntry {
  return {
    mode: entry.mode,
    get content() {
      process.emit("SIGINT", "SIGINT");
      return entry.content;
    },
  };
}

describe("createProject", () => {
  it("writes a new folder with modes and leaves no staging folder", async () => {
    const parent = tempDir();
    const result = await createProject(join(parent, "app"), tree({ "a/b.txt": "b", "run.sh": "#!/bin/sh\n" }));
    expect(result.files).toBe(2);
    expect(readdirSync(parent)).toEqual(["app"]);
    expect(readdirSync(join(parent, "app")).sort()).toEqual(["a", "run.sh"]);
  });

  it.each([0o000, 0o002, 0o022, 0o077])("files get exactly 0644 / 0755 whatever the umask (%o)", (umask) => {
    const previous = process.umask(umask);
    try {
      const root = join(tempDir(), "out");
      writeTree(root, tree({ "a/b.txt": "b", "a/c.txt": "c", "run.sh": "#!/bin/sh\n", "x/run.sh": "#!/bin/sh\n" }));
      for (const [path, mode] of [["a/b.txt", 0o644], ["a/c.txt", 0o644], ["run.sh", 0o755], ["x/run.sh", 0o755]] as const) {
        expect(statSync(join(root, path)).mode & 0o7777, path).toBe(mode);
      }
    } finally {
      process.umask(previous);
    }
  });

  it("fills a folder that holds only .git, keeping the user's .git", async () => {
    const dir = join(tempDir(), "app");
    mkdirSync(join(dir, ".git"), { recursive: true });
    writeFileSync(join(dir, ".git", "HEAD"), "ref: refs/heads/main\n");
    await createProject(dir, tree({ "x.txt": "x" }), { commitMessage: "init" });
    expect(readdirSync(dir).sort()).toEqual([".git", "x.txt"]);
    expect(readdirSync(join(dir, ".git"))).toEqual(["HEAD"]);
  });

  it("refuses a non-empty folder without writing", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "mine.txt"), "keep");
    await expect(createProject(dir, tree({ "x.txt": "x" }))).rejects.toThrow(UsageError);
    expect(readdirSync(dir)).toEqual(["mine.txt"]);
  });

  it("renders a tree given as a function once, only for a usable target, and cleans up if rendering fails", async () => {
    const render = vi.fn(() => tree({ "x.txt": "x" }));
    const dir = join(tempDir(), "app");
    const result = await createProject(dir, render, { commitMessage: "init" });
    expect(render).toHaveBeenCalledTimes(1);
    expect(result).toMatchObject({ files: 1, committed: true });
    expect(readdirSync(dir).sort()).toEqual([".git", "x.txt"]);

    const taken = tempDir();
    writeFileSync(join(taken, "mine.txt"), "keep");
    const never = vi.fn(() => tree({ "x.txt": "x" }));
    await expect(createProject(taken, never, { commitMessage: "init" })).rejects.toThrow(UsageError);
    expect(never).not.toHaveBeenCalled();

    // A render that throws while `git init` runs: nothing is left, not even the init's .git.
    const parent = tempDir();
    const broken = () => {
      throw new Error("render failed");
    };
    await expect(createProject(join(parent, "app"), broken, { commitMessage: "init" })).rejects.toThrow("render failed");
    expect(readdirSync(parent)).toEqual([]);
  });

  it("leaves nothing behind when writing fails part-way", async () => {
    const parent = tempDir();
    // "a" as a file and "a/b" under it cannot both exist: the write fails mid-tree.
    const bad = tree({ "0.txt": "first", a: "file", "a/b": "under a file" });
    await expect(createProject(join(parent, "app"), bad)).rejects.toThrow();
    expect(readdirSync(parent)).toEqual([]);
    expect(existsSync(join(parent, "app"))).toBe(false);
  });

  it("fills an existing empty folder in place (it may be a mount point) without a staging folder left", async () => {
    const dir = tempDir();
    await createProject(dir, tree({ "a/b.txt": "b", "x.txt": "x" }));
    expect(readdirSync(dir).sort()).toEqual(["a", "x.txt"]);
  });

  it("leaves an existing empty folder empty when writing fails part-way", async () => {
    const dir = tempDir();
    const bad = tree({ "0.txt": "first", a: "file", "a/b": "under a file" });
    await expect(createProject(dir, bad)).rejects.toThrow();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("removes the parent folders it made when writing fails part-way", async () => {
    const parent = tempDir();
    const bad = tree({ "0.txt": "first", a: "file", "a/b": "under a file" });
    await expect(createProject(join(parent, "services", "alpha"), bad)).rejects.toThrow();
    expect(readdirSync(parent)).toEqual([]);
  });

  it("Ctrl-C part-way removes what was written, then exits 130", async () => {
    const parent = tempDir();
    const files = tree({ "a.txt": "a", "b/c.txt": "c", "d.txt": "d" });
    // The signal arrives while the second file is being staged.
    const interrupted: FileTree = new Map([...files].map(([path, entry], i) => [path, i === 1 ? withSignal(entry) : entry]));
    const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    try {
      await expect(createProject(join(parent, "app"), interrupted)).rejects.toThrow("exit 130");
    } finally {
      exit.mockRestore();
    }
    expect(readdirSync(parent)).toEqual([]);
    expect(process.listenerCount("SIGINT")).toBe(sigintListeners);
  });

  // A real signal, not process.emit: it waits while render and write run
  // synchronously, and must still be acted on, not dropped with the listener.
  it.each([
    ["without git", undefined],
    ["with git", "init"],
  ])("a real SIGINT during the render (%s) removes everything and exits 130", async (_, commitMessage) => {
    const parent = tempDir();
    const render = () => {
      process.kill(process.pid, "SIGINT");
      return tree({ "a.txt": "a", "b/c.txt": "c" });
    };
    const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    try {
      await expect(createProject(join(parent, "app"), render, { commitMessage })).rejects.toThrow("exit 130");
    } finally {
      exit.mockRestore();
    }
    expect(readdirSync(parent)).toEqual([]);
    expect(process.listenerCount("SIGINT")).toBe(sigintListeners);
  });

  it("makes an initial commit when git is present", async () => {
    const dir = join(tempDir(), "app");
    const result = await createProject(dir, tree({ "x.txt": "x" }), { commitMessage: "Initial commit" });
    expect(result.committed).toBe(true);
    expect(existsSync(join(dir, ".git", "HEAD"))).toBe(true);
  });
});
