import { execa, type Options } from "execa";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./temp-dirs.js";

/**
 * For the tests of the generated scripts/run.sh (make run) and the scripts
 * beside it: a folder holding the rendered scripts, with stand-ins for what
 * they start. cargo only names the target directory; bin/orchestrator and
 * each worker's release binary are bash bodies that fail, serve or die the
 * way the real services can.
 */
export interface StandIns {
  /** The rendered scripts to write, by path (scripts/run.sh, scripts/lib.sh, ...). */
  scripts: Record<string, string | Uint8Array>;
  /** bin/orchestrator's body. */
  orchestrator: string;
  /** Each worker's body, by worker name (target/release/NAME). */
  workers: Record<string, string>;
  /** More stand-in commands on PATH, by name (fakebin/NAME), e.g. go for cmd/smoke. */
  commands?: Record<string, string>;
}

/**
 * scripts/lib.sh and the files it sources beside it: what a script's
 * `. scripts/lib.sh` needs in a test's folder (script-lib.test.ts holds this
 * list to lib.sh's own).
 */
export const LIB_SCRIPTS = ["scripts/lib.sh", "scripts/checks.sh", "scripts/durations.sh", "scripts/ports.sh"];

/** What scripts/run.sh sources: lib.sh's, the services' settings and its supervisor. */
export const RUN_SCRIPTS = ["scripts/run.sh", ...LIB_SCRIPTS, "scripts/services.sh", "scripts/supervise.sh"];

/** Writes an executable bash script with this body at dir/path. */
export function writeExecutable(dir: string, path: string, body: string): void {
  writeFileSync(join(dir, path), `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(join(dir, path), 0o755);
}

/** A fresh folder with the scripts and the stand-ins (see StandIns); its path. */
export function standInRepo(prefix: string, { scripts, orchestrator, workers, commands = {} }: StandIns): string {
  const dir = tempDir(prefix);
  for (const sub of ["scripts", "bin", "workers", "target/release", "fakebin", "orchestrator"]) mkdirSync(join(dir, sub), { recursive: true });
  for (const [path, content] of Object.entries(scripts)) writeFileSync(join(dir, path), content);
  writeExecutable(dir, "fakebin/cargo", `echo '{"packages":[],"target_directory":"${dir}/target","version":1}'`);
  for (const [name, body] of Object.entries(commands)) writeExecutable(dir, `fakebin/${name}`, body);
  writeExecutable(dir, "bin/orchestrator", orchestrator);
  for (const [name, body] of Object.entries(workers)) writeExecutable(dir, `target/release/${name}`, body);
  return dir;
}

/** PATH with the folder's stand-ins first. */
export function standInPath(dir: string): string {
  return `${join(dir, "fakebin")}:${process.env.PATH}`;
}

/** What a test may change of how startScript starts it. */
type StartOptions = Pick<Options, "detached" | "extendEnv" | "timeout"> & { forceKillAfterDelay?: false };

/**
 * Starts `bash scripts/SCRIPT` in dir with the stand-ins on PATH and env,
 * its output kept (all) and watched: `until` waits, up to timeoutMs, for
 * what it has printed so far to match, and says whether it did.
 */
export function startScript(dir: string, env: Record<string, string>, options: StartOptions = {}, script = "run.sh") {
  const proc = execa("bash", [`scripts/${script}`], {
    reject: false,
    all: true,
    timeout: 60_000,
    ...options,
    cwd: dir,
    env: { PATH: standInPath(dir), ...env },
  });
  let seen = "";
  proc.all?.on("data", (chunk: Buffer) => (seen += chunk.toString()));
  const until = async (re: RegExp, timeoutMs = 20_000): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(seen) && proc.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return re.test(seen);
  };
  return { proc, until, seen: () => seen };
}

/**
 * A stand-in `go` for the scripts that run the orchestrator's tools (lib.sh's
 * go_tool: `go build -o OUT ./cmd/NAME`, then OUT ARG... from orchestrator/):
 * the build writes OUT as a script of BODY, with $TOOL set to NAME and the
 * tool's arguments in "$@". Any other go command fails.
 */
export function goBuildStandIn(body: string): string {
  return [
    'if [ "$1" != build ] || [ "$2" != -o ]; then echo "stand-in go: only go build -o OUT ./cmd/NAME" >&2; exit 2; fi',
    'mkdir -p "$(dirname "$3")"',
    `{ echo '#!/usr/bin/env bash'; echo "TOOL=\${4#./cmd/}"; cat <<'TOOL_BODY'\n${body}\nTOOL_BODY\n} > "$3"`,
    'chmod +x "$3"',
  ].join("\n");
}

/**
 * Where `run.sh --check` may place every listener of a one-worker repo (scorer)
 * that the test's own env leaves at its default: the orchestrator on a free
 * port (it refuses port 0), the worker and its metrics on port 0. The check
 * refuses an address another process holds, so a case that expected exit 0
 * with the defaults (8080, 50051, 51051) failed whenever anything on the
 * machine held one, such as a `make run` of another checkout. Only for cases
 * that expect the check to pass: a case about two listeners on one port needs
 * the defaults it collides with. Names in `own` are the test's and stay unset
 * here (METRICS_ADDR as well moves the worker's metrics).
 */
export async function freeListeners(own: Record<string, string>): Promise<Record<string, string>> {
  const { freePort } = await import("../../src/validate/ports.js");
  const set = (name: string) => name in own;
  const env: Record<string, string> = {};
  if (!set("LISTEN_ADDR")) env.LISTEN_ADDR = `127.0.0.1:${await freePort()}`;
  if (!set("WORKER_SCORER_ADDR")) env.WORKER_SCORER_ADDR = "127.0.0.1:0";
  if (!set("WORKER_SCORER_METRICS_ADDR") && !set("METRICS_ADDR")) env.WORKER_SCORER_METRICS_ADDR = "127.0.0.1:0";
  return { ...env, ...own };
}
