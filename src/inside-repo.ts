import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { COMMANDS } from "./args.js";
import { UsageError } from "./errors.js";
import { MANIFEST_FILE } from "./manifest.js";

/** The commands that work on a generated repo, as a refusal lists them. */
const REPO_COMMANDS = COMMANDS.filter((c) => c !== "create").join(", ");

/** The nearest of from and the folders above it that holds hybrid-backend.json. */
export function enclosingGeneratedRepo(from: string): string | undefined {
  for (let at = resolve(from); ; at = dirname(at)) {
    if (existsSync(join(at, MANIFEST_FILE))) return at;
    if (dirname(at) === at) return undefined;
  }
}

/**
 * A bare word as create's folder, typed inside a generated repo, is almost
 * always a command the CLI does not have (`hybrid-backend change`): taken as a
 * folder it made a second project inside the repo and started minutes of
 * builds. A path (./word, sub/word, /abs) still means a folder, on purpose.
 */
export function rejectBareWordInsideRepo(dir: string | undefined, cwd: string = process.cwd()): void {
  if (dir === undefined || dir === "." || dir === ".." || isAbsolute(dir) || /[/\\]/.test(dir)) return;
  const repo = enclosingGeneratedRepo(cwd);
  if (repo === undefined) return;
  throw new UsageError(
    "command",
    dir,
    `not a command (${REPO_COMMANDS}), and this folder is inside the generated repo ${repo}; to create a new project in a folder of that name on purpose, pass ./${dir}`,
  );
}

/**
 * No folder given, and no prompt to choose one (--yes, CI, not a TTY), inside
 * a generated repo: the default folder (the project's name) would nest a
 * second project in the repo, which is almost never what `create --yes` run
 * there meant (re-validate or re-sync this one). Refused like a bare word; a
 * path given on purpose (./NAME) still creates there.
 */
export function rejectDefaultFolderInsideRepo(name: string, cwd: string = process.cwd()): void {
  const repo = enclosingGeneratedRepo(cwd);
  if (repo === undefined) return;
  throw new UsageError(
    "folder",
    undefined,
    `this folder is inside the generated repo ${repo}, where the default ./${name} would nest a second project; to work on this repo run a command (${REPO_COMMANDS}); to create ./${name} there on purpose, pass ./${name}`,
  );
}
