import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, snapshot, tempDir } from "../helpers/cli.js";

/**
 * A new user ran `sync --check` and `add worker` from workers/, as one runs
 * git anywhere in a repo, and read only "it has no hybrid-backend.json; use a
 * repo made by create-hybrid-backend", about a repo this tool had just made.
 * Every repo command (validate, sync, add, remove) now names the repo above.
 */
describe("a repo command run in one of the repo's folders", () => {
  it("exits 2 naming the repo's root, and writes nothing", async () => {
    const cwd = tempDir();
    const made = await runCli(["app", "--yes", "--no-validate", "--no-git"], cwd);
    expect(made.exitCode, made.stderr).toBe(0);
    const root = join(cwd, "app");
    const before = snapshot(root);
    for (const args of [["sync", "--check"], ["sync"], ["add", "worker", "pricing"], ["remove", "worker", "scorer"], ["validate"]]) {
      const r = await runCli(args, join(root, "workers"));
      expect(r.exitCode, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(`it has no hybrid-backend.json; the repo is ${root}: run there, or give it as the [dir] argument`);
    }
    expect(snapshot(root)).toEqual(before);
  });

  it("outside any repo says only that it is none", async () => {
    const r = await runCli(["sync", "--check"], tempDir());
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("it has no hybrid-backend.json; use a repo made by create-hybrid-backend");
  });
});
