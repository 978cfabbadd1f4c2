import { execa, execaSync } from "execa";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, RAW_INVISIBLE, tempDir } from "../helpers/cli.js";

/**
 * create into a folder that is a mount point, as in a container or
 * devcontainer workspace (`docker run -v "$PWD":/work -w /work`): a tmpfs
 * mounted in a user+mount namespace. The mount exists only inside the
 * namespace, so the script lists the result from in there.
 */
const unshare = execaSync("unshare", ["-rm", "true"], { reject: false });
const reason = unshare.exitCode === 0 ? "" : `unshare -rm refused here (${unshare.stderr || unshare.shortMessage}); mount-point cases not run`;
if (reason) console.warn(reason);

async function inMountPoint(setup: string, args: string[], mountOptions = "") {
  const mnt = join(tempDir(), "workspace");
  mkdirSync(mnt);
  const script = `
    mount -t tmpfs ${mountOptions ? `-o ${mountOptions}` : ""} tmpfs "$1" && cd "$1" || exit 97
    ${setup}
    cli=$2; shift 2
    node "$cli" "$@" >../out.log 2>../err.log; echo "exit=$?"
    echo "--- stdout"; cat ../out.log; echo "--- stderr"; cat ../err.log
    echo "--- entries"; ls -A; echo "--- end"; test -f hybrid-backend.json && grep -c '"name": "app"' hybrid-backend.json; true`;
  const env = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t", CI: "1" };
  const { stdout } = await execa("unshare", ["-rm", "sh", "-c", script, "_", mnt, CLI, ...args], { env, reject: false });
  const section = (name: string) => stdout.split(`--- ${name}\n`)[1]?.split(/^--- /m)[0] ?? "";
  return {
    exit: Number(/exit=(\d+)/.exec(stdout)?.[1]),
    stdout: section("stdout"),
    stderr: section("stderr").trim(),
    entries: section("entries").split("\n").filter(Boolean).sort(),
    raw: stdout,
  };
}

describe.skipIf(Boolean(reason))("create into a mount point", { timeout: 30_000 }, () => {
  it("create . into an empty mount point writes the project in place", async () => {
    const r = await inMountPoint("", [".", "--name", "app", "--yes", "--no-validate", "--no-git"]);
    expect(r.exit, r.raw).toBe(0);
    expect(r.entries).toEqual(expect.arrayContaining(["Makefile", "hybrid-backend.json", "orchestrator", "workers", ".hybrid-backend"]));
    expect(r.entries.filter((e) => e.includes("staging"))).toEqual([]);
    expect(r.stdout).not.toMatch(/cd \./);
  });

  it("a mount point holding only its .git: files land beside it across filesystems, git left to that repo", async () => {
    const r = await inMountPoint("git init -q -b main .", [".", "--name", "app", "--yes", "--no-validate"]);
    expect(r.exit, r.raw).toBe(0);
    expect(r.entries).toEqual(expect.arrayContaining([".git", "Makefile", "hybrid-backend.json"]));
    expect(r.stdout).toContain("Inside the git repository at .: not initialising a new one");
  });

  it("git init and the initial commit work inside a mount point", async () => {
    const r = await inMountPoint("", [".", "--name", "app", "--yes", "--no-validate"]);
    expect(r.exit, r.raw).toBe(0);
    expect(r.entries).toContain(".git");
    expect(r.stdout).toContain("initial commit");
  });

  it("a full disk part-way: one line, no stack, and the mount point is left empty", async () => {
    const r = await inMountPoint("", [".", "--name", "app", "--yes", "--no-validate", "--no-git"], "size=200k");
    expect(r.exit, r.raw).toBe(1);
    expect(r.stderr.split("\n"), r.raw).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: ENOSPC/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toMatch(RAW_INVISIBLE);
    expect(r.entries).toEqual([]);
  });
});
