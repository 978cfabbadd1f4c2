import { execa } from "execa";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, RAW_INVISIBLE, snapshot, tempDir } from "../helpers/cli.js";
import { RUN_TMP_VAR } from "../helpers/temp-dirs.js";

/**
 * A target folder that exists, is empty, but refuses us is the user's to
 * fix, like an unwritable parent: exit 2, one line naming the folder, nothing
 * written. Root may write anywhere, so as root the CLI runs as nobody (65534)
 * against root's own folder, as the tester did. --dry-run is refused alike.
 */
const root = process.getuid?.() === 0;

async function runAsUser(args: string[], cwd: string) {
  return execa("node", [CLI, ...args], { cwd, reject: false, stdin: "ignore", env: { CI: "1" }, ...(root ? { uid: 65534, gid: 65534 } : {}) });
}

/** A folder of the run's temp tree that nobody can reach (the tree is root's, mode 700). */
function reachableDir(): string {
  const dir = tempDir();
  if (root) for (const d of [process.env[RUN_TMP_VAR]!, dir]) chmodSync(d, 0o711);
  return dir;
}

describe.runIf(process.platform === "linux")("a target folder that refuses us", () => {
  it.each([
    ["empty, not writable (555)", 0o555, "files cannot be created in it (EACCES"],
    ["empty, not listable (311)", 0o311, "it cannot be read (EACCES"],
    ["absent, in a folder not writable (555)", 0o555, "it cannot be created (at ", "locked/app"],
  ])("%s: exit 2, one line, nothing written", async (_name, mode, allowed, arg = "locked") => {
    const cwd = reachableDir();
    const target = join(cwd, "locked");
    mkdirSync(target);
    chmodSync(target, mode);
    const result = await runAsUser([arg, "--yes", "--no-validate", "--no-git"], cwd);
    // A dry run is refused as the real run is, not shown the files it could not write.
    const dry = await runAsUser([arg, "--yes", "--dry-run"], cwd);
    chmodSync(target, 0o755);
    expect(result.exitCode, result.stderr).toBe(2);
    expect({ exit: dry.exitCode, stderr: dry.stderr }).toEqual({ exit: 2, stderr: result.stderr });
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error: directory: ".*/${arg}" is not valid; `));
    expect(lines[0]).toContain(allowed);
    expect(lines[0]).toContain("choose a folder you can");
    expect(lines[0]).not.toMatch(RAW_INVISIBLE);
    expect(snapshot(cwd)).toEqual(["locked"]);
  });
});
