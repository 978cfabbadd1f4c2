import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { cacheDir } from "../cache/dir.js";
import { touchEntry } from "../cache/entries.js";
import { spawn } from "./exec.js";

declare const __BUF_VERSION__: string;

/** The buf release validate uses; kept in step with package.json at build. */
export const BUF_VERSION: string = __BUF_VERSION__;

export interface Tool {
  name: string;
  required: boolean;
  version?: string;
  path?: string;
  /** How to get it, when missing. */
  hint: string;
}

const PROBES: { name: string; cmd: string; args: string[]; hint: string; required: boolean }[] = [
  { name: "go", cmd: "go", args: ["version"], required: true, hint: "install Go 1.26+ from https://go.dev/dl/" },
  { name: "cargo", cmd: "cargo", args: ["--version"], required: true, hint: "install Rust with rustup: https://rustup.rs" },
  { name: "rustfmt", cmd: "cargo", args: ["fmt", "--version"], required: true, hint: "rustup component add rustfmt" },
  { name: "clippy", cmd: "cargo", args: ["clippy", "--version"], required: true, hint: "rustup component add clippy" },
  {
    name: "python3",
    cmd: "python3",
    args: ["--version"],
    required: false,
    hint: "install Python 3.9+ (queue presets only: validate runs the moto AWS emulator from a private virtualenv)",
  },
  { name: "git", cmd: "git", args: ["--version"], required: false, hint: "install git (only needed for the initial commit)" },
  {
    name: "kubectl",
    cmd: "kubectl",
    args: ["version", "--client"],
    required: false,
    hint: "install kubectl 1.27+ (deploy: kubernetes only: validate builds the kustomize overlays with it)",
  },
];

/** Which toolchains are present and their versions; nothing is installed. */
export async function probeTools(): Promise<Tool[]> {
  const tools = await Promise.all(
    PROBES.map(async (p): Promise<Tool> => {
      try {
        const { stdout } = await execa(p.cmd, p.args, { stdin: "ignore" });
        return { name: p.name, required: p.required, version: firstLine(stdout), hint: p.hint };
      } catch {
        return { name: p.name, required: p.required, hint: p.hint };
      }
    }),
  );
  const buf = locateBuf();
  tools.push({
    name: "buf",
    required: true,
    version: buf ? await bufVersion(buf) : undefined,
    path: buf,
    hint: `fetched automatically into ${bufCacheDir()} on first validate (npm install @bufbuild/buf@${BUF_VERSION})`,
  });
  return tools;
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.trim();
}

async function bufVersion(path: string): Promise<string | undefined> {
  try {
    return firstLine((await execa(path, ["--version"], { stdin: "ignore" })).stdout);
  } catch {
    return undefined;
  }
}

export { cacheDir };

export function bufCacheDir(): string {
  return join(cacheDir(), `buf-${BUF_VERSION}`);
}

/**
 * buf is a ~90 MB native binary that only validate needs, so it is not a
 * dependency of the package: $BUF if set, else the pinned release in the
 * per-user cache. A buf found on PATH is not used, since another release may
 * format or lint differently from the one the templates were checked with.
 */
export function locateBuf(): string | undefined {
  if (process.env.BUF && existsSync(process.env.BUF)) return process.env.BUF;
  const cached = join(bufCacheDir(), "node_modules", "@bufbuild", "buf", "bin", "buf");
  return existsSync(cached) ? cached : undefined;
}

/** locateBuf, installing the pinned release into the cache when absent. */
export async function ensureBuf(log: (msg: string) => void): Promise<string> {
  const found = locateBuf();
  if (found?.startsWith(bufCacheDir())) touchEntry(bufCacheDir());
  if (found) return found;
  const dir = touchEntry(bufCacheDir());
  log(`fetching buf ${BUF_VERSION} into ${dir} (once)`);
  await spawn(
    "npm",
    ["install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `@bufbuild/buf@${BUF_VERSION}`],
    { stdin: "ignore" },
  );
  const installed = locateBuf();
  if (!installed) throw new Error(`buf ${BUF_VERSION} was installed into ${dir} but its binary is missing`);
  return installed;
}
