import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { LABELS } from "./conflicts.js";
import type { MergeResult } from "./plan.js";

/**
 * A line-based three-way merge by `git merge-file`, the same algorithm git
 * uses for a branch merge, so conflicts look the way developers expect. It
 * works on scratch copies in the system temp folder, never in the repo.
 * A file git cannot merge (binary, e.g. a README re-saved as UTF-16) is a
 * result, not an error: the caller turns it into a per-file conflict.
 */
export async function mergeFile(ours: Buffer, base: Buffer, theirs: Buffer, path: string): Promise<MergeResult> {
  const dir = mkdtempSync(join(tmpdir(), "hybrid-backend-merge-"));
  try {
    const files = { ours: join(dir, "ours"), base: join(dir, "base"), theirs: join(dir, "theirs") };
    writeFileSync(files.ours, ours);
    writeFileSync(files.base, base);
    writeFileSync(files.theirs, theirs);
    const labels = ["-L", LABELS.ours(path), "-L", LABELS.base(path), "-L", LABELS.theirs(path)];
    const result = await execa("git", ["merge-file", ...labels, files.ours, files.base, files.theirs], { reject: false });
    const code = result.exitCode;
    // merge-file exits with the number of conflicts, or a negative (255) on error.
    if (code === undefined || code < 0 || code > 127) {
      const said = firstLine(result.stderr) || result.shortMessage || "git merge-file failed";
      return { failed: named(said, files, dir, path) };
    }
    return { content: readFileSync(files.ours), conflicts: code };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * git names the scratch copies it was given ("Cannot merge binary files:
 * /tmp/hybrid-backend-merge-X/ours"): a path that is gone once this returns
 * and means nothing to the user. Each is named as the conflict markers name
 * it (the repo path, yours / last generated / newly generated), and any
 * other mention of the scratch folder as the repo path.
 */
function named(message: string, files: Record<"ours" | "base" | "theirs", string>, dir: string, path: string): string {
  let out = message;
  for (const side of ["ours", "base", "theirs"] as const) out = out.split(files[side]).join(LABELS[side](path));
  return out.split(dir).join(path);
}

function firstLine(text: string | undefined): string {
  return (text ?? "").trim().split("\n")[0]!.replace(/^error:\s*/, "");
}
