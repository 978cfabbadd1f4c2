import { appendFileSync } from "node:fs";
import { basename, isAbsolute, relative } from "node:path";
import { execa, type Options, type ResultPromise } from "execa";
import { CARGO_PROGRESS_ENV, frameSplitter, parseCargoProgress, withoutFrames, type Track } from "./activity.js";
import { trackGroup } from "./lifecycle.js";

/** A command that failed, with the tail of its output for the report. */
export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly output: string,
  ) {
    super(`${command} failed:\n${tail(output, 40)}`);
    this.name = "CommandFailed";
  }
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Reject when stdout is not empty (gofmt -l style checks). */
  expectNoOutput?: boolean;
  /** Report the command (and cargo's progress) to the progress display. */
  track?: Track;
  /** Words shown after the command, for what its environment changes. */
  label?: string;
  /** Stops the command (it then fails as cancelled). */
  cancelSignal?: AbortSignal;
}

/**
 * execa in its own process group, known to lifecycle.ts until it ends, so
 * an interrupt stops it and everything it started. Every child validate
 * starts goes through here.
 */
export function spawn<O extends Options>(cmd: string, args: string[], opts: O): ResultPromise<O> {
  const proc = execa(cmd, args, { ...opts, detached: true }) as unknown as ResultPromise<O>;
  const untrack = trackGroup(proc.pid);
  void proc.finally(untrack).catch(() => {});
  return proc;
}

/**
 * Runs one tool, appending everything it prints to the step's log file so a
 * failure can be read in full later; throws CommandFailed on a non-zero exit.
 */
export async function run(log: string, cmd: string, args: string[], opts: RunOptions): Promise<string> {
  const shown = opts.label ? [...args, opts.label] : args;
  const line = [cmd, ...shown].join(" ");
  appendFileSync(log, `\n$ (cd ${opts.cwd} && ${line})\n`);
  const cargo = basename(cmd) === "cargo";
  if (opts.track) {
    const { step, activity, root } = opts.track;
    const where = relative(root, opts.cwd);
    activity.commandStarted(step, [isAbsolute(cmd) ? basename(cmd) : cmd, ...shown].join(" "), where ? `${where}/` : "");
  }
  const proc = spawn(cmd, args, {
    cwd: opts.cwd,
    env: cargo ? { ...opts.env, ...CARGO_PROGRESS_ENV } : opts.env,
    all: true,
    reject: false,
    stdin: "ignore",
    cancelSignal: opts.cancelSignal,
  });
  if (cargo && opts.track) {
    const { step, activity } = opts.track;
    proc.stderr.on(
      "data",
      frameSplitter((frame) => {
        const p = parseCargoProgress(frame);
        if (p) activity.cargoProgress(step, p.done, p.total, p.building);
      }),
    );
  }
  const result = await proc;
  const all = cargo ? withoutFrames(result.all ?? "") : (result.all ?? "");
  appendFileSync(log, all);
  if (result.failed) {
    const why = result.exitCode === undefined ? (result.shortMessage ?? "could not start") : `exit ${result.exitCode}`;
    throw new CommandFailed(`${line} (${why})`, all || result.shortMessage || "");
  }
  if (opts.expectNoOutput && result.stdout.trim() !== "") {
    throw new CommandFailed(`${line} (reported files)`, result.stdout);
  }
  return result.stdout;
}

export function tail(text: string, lines: number): string {
  const all = text.trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}
