import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

// No build-time constants here: the e2e globalSetup loads this module
// outside vitest's `define` (via linters.ts).

/** The tool's own cache: fetched buf, the moto virtualenv. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "create-hybrid-backend");
}

/**
 * A Python-packaged tool (moto, check-jsonschema) from its own virtualenv in
 * the tool's cache, created on first use: nothing is installed system-wide
 * and a second run starts at once. Returns the path of its `bin` executable.
 */
export async function ensurePythonTool(requirement: string, bin: string, note: (msg: string) => void): Promise<string> {
  const venv = pythonToolDir(requirement);
  const exe = join(venv, "bin", bin);
  if (existsSync(exe)) return exe;
  mkdirSync(cacheDir(), { recursive: true });
  note(`installing ${requirement} into ${venv} (once)`);
  await execa("python3", ["-m", "venv", venv], { stdin: "ignore" });
  await execa(join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", requirement], { stdin: "ignore" });
  if (!existsSync(exe)) throw new Error(`${requirement} installed into ${venv} but ${bin} is missing`);
  return exe;
}

/** The virtualenv ensurePythonTool keeps `requirement` (`name[extras]==version`) in. */
export function pythonToolDir(requirement: string): string {
  return join(cacheDir(), requirement.replace(/\[.*\]/, "").replace("==", "-"));
}
