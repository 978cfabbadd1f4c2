import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUN_TMP_VAR, removeTree } from "./temp-dirs.js";

/**
 * vitest globalSetup of every project: one temporary folder for the whole
 * run, made TMPDIR before any test worker starts, so that everything a test
 * leaves in a temp folder (its own dirs, and those of the go, cargo, git and
 * tool processes it spawns) lies inside it and goes when the run ends. Tests
 * remove their own dirs after each file (temp-cleanup.ts); this catches the
 * rest. A run once left 24 GB in /tmp and filled the disk of the next one.
 * CHB_KEEP_TEMP=1 keeps it, for looking at a failure.
 */
export default function setup(): (() => void) | undefined {
  if (process.env[RUN_TMP_VAR]) return undefined; // the other project made it
  const root = mkdtempSync(join(tmpdir(), "chb-run-"));
  process.env[RUN_TMP_VAR] = root;
  process.env.TMPDIR = root;
  return () => {
    if (process.env.CHB_KEEP_TEMP) console.log(`[temp] kept ${root}`);
    else removeTree(root);
  };
}
