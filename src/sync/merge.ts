import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { MergeResult } from "./plan.js";

/**
 * A line-based three-way merge by `git merge-file`, the same algorithm git
 * uses for a branch merge, so conflicts look the way developers expect. It
 * works on scratch copies in the system temp folder, never in the repo.
 */
export async function mergeFile(ours: Buffer, base: Buffer, theirs: Buffer, path: string): Promise<MergeResult> {
  const dir = mkdtempSync(join(tmpdir(), "hybrid-backend-merge-"));
  try {
    const files = { ours: join(dir, "ours"), base: join(dir, "base"), theirs: join(dir, "theirs") };
    writeFileSync(files.ours, ours);
    writeFileSync(files.base, base);
    writeFileSync(files.theirs, theirs);
    const result = await execa(
      "git",
      ["merge-file", "-L", `${path} (yours)`, "-L", `${path} (last generated)`, "-L", `${path} (newly generated)`, files.ours, files.base, files.theirs],
      { reject: false },
    );
    const code = result.exitCode ?? -1;
    // merge-file exits with the number of conflicts, or a negative (255) on error.
    if (code < 0 || code > 127) throw new Error(`git merge-file failed on ${path}: ${result.stderr || result.message}`);
    return { content: readFileSync(files.ours), conflicts: code };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
