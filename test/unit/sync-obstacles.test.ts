import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../helpers/cli.js";
import { builtApp, changesIn, gitIn } from "../helpers/built-app.js";

/**
 * What sync cannot read as the repo's own is an obstacle, for every command
 * that compares the work tree: exit 2 with one line naming the path and
 * what to do, nothing written. Never "deleted" (a folder linked elsewhere
 * still holds the files) and never "current" (they are not the repo's).
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let parent: string;
let dir: string;
beforeEach(async () => {
  ({ parent, dir } = await builtApp("chb-sync-obstacles-"));
});

const git = (...args: string[]) => gitIn(dir, ...args);
const changes = () => changesIn(dir);

/** Runs each command and expects the same refusal from all, with the repo (and what lies outside it) unchanged. */
async function expectRefused(commands: string[][], message: RegExp, outside?: string) {
  const before = changes();
  const listing = () => (outside ? readdirSync(outside, { recursive: true }).map(String).sort().join("\n") : "");
  const outsideBefore = listing();
  for (const args of commands) {
    const run = await runCli(args, dir);
    const context = `${args.join(" ")}: ${run.stdout}${run.stderr}`;
    expect(run.exitCode, context).toBe(2);
    expect(run.stderr.trim().split("\n"), context).toHaveLength(1);
    expect(run.stderr, context).toMatch(message);
    expect(run.stderr, context).not.toMatch(/unexpected|\n\s+at /);
    expect(run.stdout, context).not.toMatch(/kept-deleted|current/);
    expect(changes(), context).toBe(before);
    expect(listing(), context).toBe(outsideBefore);
  }
}

const EVERY = [["sync", "--check"], ["sync"], ["sync", "--dry-run"], ["sync", "--force"], ["add", "worker", "pricing"], ["add", "ci", "gitlab"]];

describe("a generated folder that is a symbolic link", () => {
  it("is refused by sync, --check, --dry-run and add, naming the link", async () => {
    const outside = join(parent, "outside");
    renameSync(join(dir, "workers", "scorer"), outside);
    symlinkSync(outside, join(dir, "workers", "scorer"));
    await expectRefused(EVERY, /^error: workers\/scorer \(a symbolic link\): ".*outside" is not valid; .*make workers\/scorer a real folder.*nothing was changed$/m, outside);
  });

  it("deeper down, and by remove too", async () => {
    const add = await runCli(["add", "worker", "pricing"], dir);
    expect(add.exitCode, add.stderr).toBe(0);
    git("add", "-A");
    git("commit", "-qm", "add pricing");
    const outside = join(parent, "outside");
    renameSync(join(dir, "workers", "pricing", "src"), outside);
    symlinkSync("../../../outside", join(dir, "workers", "pricing", "src"));
    await expectRefused(
      [["remove", "worker", "pricing"], ["sync", "--check"], ["sync"]],
      /^error: workers\/pricing\/src \(a symbolic link\): "\.\.\/\.\.\/\.\.\/outside" is not valid; /,
      outside,
    );
  });
});

describe("something other than a file where a generated file goes", () => {
  it("a folder: refused even without --force", async () => {
    rmSync(join(dir, "Makefile"));
    mkdirSync(join(dir, "Makefile"));
    writeFileSync(join(dir, "Makefile", "keep"), "ours\n");
    await expectRefused(EVERY, /^error: Makefile: "a folder" is not valid; it is a generated file, which sync reads and writes only as a file: move that away/);
  });

  it("a named pipe: refused, and never opened (reading it would hang)", async () => {
    rmSync(join(dir, "README.md"));
    execFileSync("mkfifo", [join(dir, "README.md")]);
    await expectRefused(EVERY, /^error: README\.md: "a named pipe" is not valid; /);
  });
});

describe("a symbolic link in a generated file's own place", () => {
  // Each was read as "you deleted this" (kept-deleted), and --force would have written through nothing but the link.
  it("to a copy outside the repo: refused by every command, never followed, never 'deleted'", async () => {
    const outside = join(parent, "outside");
    mkdirSync(outside);
    renameSync(join(dir, "Makefile"), join(outside, "Makefile"));
    symlinkSync(join(outside, "Makefile"), join(dir, "Makefile"));
    await expectRefused([...EVERY, ["remove", "ci", "github"]], /^error: Makefile \(a symbolic link\): ".*outside\/Makefile" is not valid; it is a generated file, which sync reads and writes only as a file in the repository: .*nothing was changed$/m, outside);
  });

  it("to another file of the repo, or to nothing: the same", async () => {
    rmSync(join(dir, "buf.yaml"));
    symlinkSync("buf.gen.yaml", join(dir, "buf.yaml"));
    await expectRefused(EVERY, /^error: buf\.yaml \(a symbolic link\): "buf\.gen\.yaml" is not valid; /);
    rmSync(join(dir, "buf.yaml"));
    symlinkSync("nowhere", join(dir, "buf.yaml"));
    await expectRefused(EVERY, /^error: buf\.yaml \(a symbolic link\): "nowhere" is not valid; /);
  });

  it("at the manifest or the ledger: refused before either is read", async () => {
    const outside = join(parent, "outside");
    mkdirSync(outside);
    for (const record of ["hybrid-backend.json", ".hybrid-backend/ledger.json"]) {
      const copy = join(outside, record.replace("/", "-"));
      renameSync(join(dir, record), copy);
      symlinkSync(copy, join(dir, record));
      const escaped = record.replace(/[.]/g, "\\.");
      await expectRefused([["sync", "--check"], ["sync"], ["add", "worker", "pricing"]], new RegExp(`^error: ${escaped} \\(a symbolic link\\): `), outside);
      rmSync(join(dir, record));
      renameSync(copy, join(dir, record));
    }
  });
});
