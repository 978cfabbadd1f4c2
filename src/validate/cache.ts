import { existsSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "../cache/dir.js";
import { touchEntry } from "../cache/entries.js";
import { spawn } from "./exec.js";
import { makeDirs } from "../make-dirs.js";

// No build-time constants here: the e2e globalSetup loads this module
// outside vitest's `define` (via linters.ts).

export { cacheDir };

/**
 * A Python-packaged tool (moto, check-jsonschema) from its own virtualenv in
 * the tool's cache, created on first use: nothing is installed system-wide
 * and a second run starts at once. Returns the path of its `bin` executable.
 * The virtualenv is a cache entry (touched on use, evicted least recently used).
 */
export async function ensurePythonTool(requirement: string, bin: string, note: (msg: string) => void): Promise<string> {
  const venv = pythonToolDir(requirement);
  const exe = join(venv, "bin", bin);
  if (existsSync(exe)) {
    touchEntry(venv);
    return exe;
  }
  makeDirs(cacheDir());
  note(`installing ${requirement} into ${venv} (once)`);
  await spawn("python3", ["-m", "venv", venv], { stdin: "ignore" });
  touchEntry(venv);
  // --no-compile: byte-compiling every module of the tree was 11-22 s of moto's
  // 56-74 s install; Python compiles (and caches) only what a run imports.
  await spawn(join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", "--no-compile", requirement], { stdin: "ignore" });
  if (!existsSync(exe)) throw new Error(`${requirement} installed into ${venv} but ${bin} is missing`);
  return exe;
}

/** The virtualenv ensurePythonTool keeps `requirement` (`name[extras]==version`) in. */
export function pythonToolDir(requirement: string): string {
  return join(cacheDir(), requirement.replace(/\[.*\]/, "").replace("==", "-"));
}
