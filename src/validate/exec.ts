import { appendFileSync } from "node:fs";
import { execa } from "execa";

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
}

/**
 * Runs one tool, appending everything it prints to the step's log file so a
 * failure can be read in full later; throws CommandFailed on a non-zero exit.
 */
export async function run(log: string, cmd: string, args: string[], opts: RunOptions): Promise<string> {
  const line = [cmd, ...args].join(" ");
  appendFileSync(log, `\n$ (cd ${opts.cwd} && ${line})\n`);
  const result = await execa(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    all: true,
    reject: false,
    stdin: "ignore",
  });
  appendFileSync(log, result.all ?? "");
  if (result.failed) {
    const why = result.exitCode === undefined ? (result.shortMessage ?? "could not start") : `exit ${result.exitCode}`;
    throw new CommandFailed(`${line} (${why})`, result.all || result.shortMessage || "");
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
