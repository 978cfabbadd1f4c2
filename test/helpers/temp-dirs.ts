import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where temp-root.ts records the run's temporary folder (also TMPDIR). */
export const RUN_TMP_VAR = "CHB_TEST_RUN_TMP";

/** The folders tempDir made in this test file: temp-cleanup.ts removes them after it. */
const made = new Set<string>();

/** A fresh temporary folder, removed when the test file ends (unless CHB_KEEP_TEMP is set). */
export function tempDir(prefix = "chb-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Removes every folder tempDir made in this file; returns how many. */
export function removeTempDirs(): number {
  if (process.env.CHB_KEEP_TEMP) return 0;
  const n = made.size;
  for (const dir of made) removeTree(dir);
  made.clear();
  return n;
}

/**
 * rm -rf that also gets through folders a test made read-only (the
 * "nothing is written" cases): without root, their entries cannot be
 * unlinked until the folder is writable again.
 */
export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    makeWritable(path);
    rmSync(path, { recursive: true, force: true });
  }
}

function makeWritable(path: string): void {
  try {
    const st = lstatSync(path);
    if (!st.isDirectory()) return;
    chmodSync(path, 0o700);
    for (const name of readdirSync(path)) makeWritable(join(path, name));
  } catch {
    // Gone already, or not ours: rmSync reports what is left.
  }
}
