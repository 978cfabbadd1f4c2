import { execa } from "execa";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render, type FileTree } from "../../src/render/index.js";
import { managedFiles } from "../../src/sync/ledger.js";
import { writeTree } from "../../src/write/create.js";
import { fastImportStream, writeObjectsAhead } from "../../src/write/objects-ahead.js";
import { runCli, tempDir } from "../helpers/cli.js";

const IDENTITY = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
const git = async (cwd: string, ...args: string[]) => (await execa("git", args, { cwd, env: IDENTITY })).stdout;

const tree = (entries: Record<string, string>): FileTree =>
  new Map(Object.entries(entries).map(([p, c]) => [p, { content: Buffer.from(c), mode: p.endsWith(".sh") ? 0o755 : 0o644 }]));

/** A new repository at dir holding tree's files, uncommitted. */
async function repoWith(t: FileTree): Promise<string> {
  const dir = join(tempDir(), "repo");
  mkdirSync(dir);
  await git(dir, "init", "-q", "-b", "main");
  writeTree(dir, t);
  return dir;
}

/** The tree id `git add -A` + `git write-tree` give the files at dir, in a throwaway index. */
async function treeGitComputes(dir: string): Promise<string> {
  const env = { ...IDENTITY, GIT_INDEX_FILE: join(dir, ".git", "scratch-index") };
  await execa("git", ["add", "-A"], { cwd: dir, env });
  return (await execa("git", ["write-tree"], { cwd: dir, env })).stdout;
}

const looseObjects = (dir: string) =>
  readdirSync(join(dir, ".git", "objects"))
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => readdirSync(join(dir, ".git", "objects", d)));

describe("objects written ahead of the initial commit", { timeout: 60_000 }, () => {
  it("fast-import stores the very tree git add computes: a default project, modes, and paths needing quotes", async () => {
    const project = render(parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator" } }));
    const odd = tree({ "with space/a b.txt": "x\n", '"quoted".txt': "q\n", "back\\slash.txt": "b\n", "run.sh": "#!/bin/sh\n", "empty.txt": "" });
    for (const t of [project, odd]) {
      const dir = await repoWith(t);
      expect(await writeObjectsAhead(dir, t)).toBe(true);
      const expected = await treeGitComputes(dir);
      // Present in the object store before any add: fast-import wrote it.
      expect(await git(dir, "cat-file", "-t", expected)).toBe("tree");
      // The one ref written is the project's first snapshot: the generated files, without the manifest and ledger.
      expect(await git(dir, "for-each-ref", "--format=%(refname)")).toBe("refs/hybrid-backend/generated");
      const snapshot = (await git(dir, "ls-tree", "-r", "-z", "--name-only", "refs/hybrid-backend/generated")).split("\0").filter(Boolean);
      expect(snapshot.sort()).toEqual([...managedFiles(t).keys()].sort());
      expect(readdirSync(join(dir, ".git")).filter((n) => n.startsWith("hybrid-backend"))).toEqual([]);
    }
  });

  it("the stream names every file once and ends with done, so a cut-off stream fails instead of storing part", () => {
    const stream = fastImportStream(tree({ "a.txt": "a", "b/run.sh": "#!/bin/sh\n" })).toString("utf8");
    expect(stream.match(/^blob$/gm)).toHaveLength(2);
    expect(stream).toMatch(/^M 100644 :1 a\.txt$/m);
    expect(stream).toMatch(/^M 100755 :2 b\/run\.sh$/m);
    expect(stream).toMatch(/^reset refs\/hybrid-backend\/objects-ahead\n\ncommit refs\/hybrid-backend\/generated\n/m);
    expect(stream.endsWith("M 100644 :1 a.txt\nM 100755 :2 b/run.sh\n\ndone\n")).toBe(true);
  });

  it("without a repository it answers false and writes nothing", async () => {
    const dir = tempDir();
    expect(await writeObjectsAhead(dir, tree({ "a.txt": "a" }))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("create: add and commit write no object again, only the commit itself; the one extra object is the named dangling commit", async () => {
    const cwd = tempDir();
    const result = await runCli(["solo", "--yes", "--no-validate"], cwd, IDENTITY);
    expect(result.exitCode, result.stderr).toBe(0);
    const solo = join(cwd, "solo");
    const head = await git(solo, "rev-parse", "HEAD");
    expect(looseObjects(solo).map((name) => head.slice(0, 2) + name)).toEqual([head]);
    expect(await git(solo, "status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(await git(solo, "for-each-ref", "--format=%(refname)")).toBe("refs/heads/main\nrefs/hybrid-backend/generated");
    // What the README says of that ref holds from the initial commit on.
    expect(await git(solo, "diff", "--diff-filter=MD", "refs/hybrid-backend/generated")).toBe("");
    const fsck = await execa("git", ["fsck", "--strict", "--no-reflogs"], { cwd: solo });
    expect(fsck.exitCode).toBe(0);
    const dangling = [...fsck.stdout.matchAll(/^dangling (\w+) ([0-9a-f]+)$/gm)];
    expect(dangling.map((m) => m[1])).toEqual(["commit"]);
    expect(await git(solo, "log", "-1", "--format=%s", dangling[0]![2]!)).toMatch(/^create-hybrid-backend: objects written ahead of the initial commit/);
    expect(await git(solo, "rev-parse", `${dangling[0]![2]}^{tree}`)).toBe(await git(solo, "rev-parse", "HEAD^{tree}"));
  });

  it("create with a clean filter the user set: git stores its own blobs and trees, and the commit is still exactly git's", async () => {
    const cwd = tempDir();
    const home = tempDir();
    const config = join(home, "gitconfig");
    writeFileSync(join(home, "attributes"), "*.md filter=upper\n");
    await execa("git", ["config", "--file", config, "core.attributesFile", join(home, "attributes")]);
    await execa("git", ["config", "--file", config, "filter.upper.clean", "tr a-z A-Z"]);
    const env = { ...IDENTITY, GIT_CONFIG_GLOBAL: config };
    const result = await runCli(["solo", "--yes", "--no-validate"], cwd, env);
    expect(result.exitCode, result.stderr).toBe(0);
    const solo = join(cwd, "solo");
    const run = async (...args: string[]) => (await execa("git", args, { cwd: solo, env })).stdout;
    expect(await run("show", "HEAD:README.md")).toMatch(/^# [A-Z]/);
    expect(await run("status", "--porcelain", "--untracked-files=all")).toBe("");
    const fsck = await execa("git", ["fsck", "--strict", "--no-reflogs"], { cwd: solo, env });
    expect(fsck.exitCode).toBe(0);
    const scratch = /^dangling commit ([0-9a-f]+)$/m.exec(fsck.stdout)![1]!;
    expect(await run("rev-parse", `${scratch}^{tree}`)).not.toBe(await run("rev-parse", "HEAD^{tree}"));
  });
});
