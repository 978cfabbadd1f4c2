import { execa } from "execa";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, vi } from "vitest";
import { shellQuote } from "../../src/human.js";
import { untilHung } from "./hang-watch.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = join(ROOT, "dist", "cli.js");
/** How the CLI, run as runCli runs it (from this checkout), names itself in the next steps it prints. */
export const SELF = `node ${shellQuote(CLI)}`;

/**
 * Run the built CLI as a user would: no TTY, CI set, in the given folder.
 * Inside a test, a run still going shortly before the test's timeout is
 * killed with its whole process tree and fails the test with what it printed
 * and which processes it was waiting on (a bare vitest timeout says neither).
 */
export function runCli(args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const child = execa("node", [CLI, ...args], {
    cwd,
    reject: false,
    stdin: "ignore",
    env: { CI: "1", ...env },
  });
  return untilHung(child, `hybrid-backend ${args.join(" ")} (in ${cwd})`);
}

export { tempDir } from "./temp-dirs.js";

/** Every path under dir, for "nothing was written" assertions. */
export function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

/** The --json report of create/validate, required to have passed every step but the ones named skipped. */
export function expectValidated(result: { stdout: string; stderr: string; exitCode?: number }, skipped: string[] = []): void {
  // A crash leaves no report: say what the process printed instead of "Unexpected end of JSON input".
  let report: { ok: boolean; steps: { name: string; status: string }[] };
  try {
    report = JSON.parse(result.stdout) as typeof report;
  } catch {
    throw new Error(`no --json report (exit ${result.exitCode}); stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  expect(report.steps.map((s) => [s.name, s.status]), result.stdout + result.stderr).toEqual(
    ["doctor", "contract", "ci", "go", "rust", "deploy", "smoke"].map((name) => [name, skipped.includes(name) ? "skipped" : "passed"]),
  );
  expect(report.ok).toBe(true);
  expect(result.exitCode).toBe(0);
}

/** Run a command in-process, returning its exit code and what it printed with console.log. */
export async function captureLog(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((s: string) => void lines.push(s));
  try {
    return { code: await run(), out: lines.join("\n") };
  } finally {
    spy.mockRestore();
  }
}

/** What no error line may carry raw: controls, BOM, zero-width, bidi (the kind escapeInvisible handles). */
export const RAW_INVISIBLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
