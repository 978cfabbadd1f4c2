import { closeSync, createWriteStream, fstatSync, openSync, readSync, statSync } from "node:fs";
import { escapeInvisible } from "../errors.js";
import type { ResultPromise } from "execa";
import { spawn } from "./exec.js";

export interface Service {
  name: string;
  proc: ResultPromise;
  exited: boolean;
  /** Where its stdout and stderr go, from byte logFrom on (the file may hold an earlier run's). */
  log: string;
  logFrom: number;
  /** Settles once all it wrote is in the log file. */
  logged: Promise<void>;
}

/** Start a long-running service with its output going to a log file. */
export function startService(
  name: string,
  bin: string,
  opts: { cwd: string; env: Record<string, string>; log: string; args?: string[] },
): Service {
  const logFrom = sizeOf(opts.log);
  const out = createWriteStream(opts.log, { flags: "a" });
  // Its own process group (see lifecycle.ts); killAll and stopGracefully
  // still signal the service itself, which is what its shutdown test needs.
  const proc: ResultPromise = spawn(bin, opts.args ?? [], {
    cwd: opts.cwd,
    env: opts.env,
    stdin: "ignore",
    reject: false,
    buffer: false,
    // stopGracefully owns the grace period: execa's own SIGKILL 5s after a SIGTERM would cut a
    // longer, configured shutdown (SHUTDOWN_TIMEOUT) short.
    forceKillAfterDelay: false,
  });
  // Two sources, one file: neither may end it alone, or the other's later
  // output is written after the end, an uncaught error. It ends once both have.
  const sources = [proc.stdout, proc.stderr].filter((s) => s !== null && s !== undefined);
  const logged = new Promise<void>((resolve) => {
    let open = sources.length;
    const closed = () => {
      if (--open <= 0) out.end(() => resolve());
    };
    for (const source of sources) {
      source.pipe(out, { end: false });
      source.once("close", closed);
    }
    if (open === 0) out.end(() => resolve());
  });
  const service: Service = { name, proc, exited: false, log: opts.log, logFrom, logged };
  void proc.finally(() => {
    service.exited = true;
  });
  return service;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** How much of a log's end lastWords reads: its last line is in there. */
const TAIL_BYTES = 64 * 1024;

/**
 * The last line a dead service logged in this run (say, "bind: address
 * already in use"), escaped and cut to 300 characters, so the error says why
 * without a trip to a log folder that a failed run may already have removed.
 * Rust's closing hint after a panic is passed over for the panic's own words.
 */
export async function lastWords(service: Pick<Service, "log" | "logFrom" | "logged">): Promise<string> {
  // Only a defence: execa settles proc, which callers wait on, after both streams finish.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([service.logged, new Promise((r) => (timer = setTimeout(r, 1_000)))]).finally(() => clearTimeout(timer));
  let text = "";
  try {
    const fd = openSync(service.log, "r");
    try {
      // One size for both: the file may still grow while it is read.
      const size = fstatSync(fd).size;
      const from = Math.max(service.logFrom, size - TAIL_BYTES);
      const buf = Buffer.alloc(Math.max(0, size - from));
      text = buf.subarray(0, readSync(fd, buf, 0, buf.length, from)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("note: run with `RUST_BACKTRACE"));
  const line = lines.pop();
  if (!line) return "";
  const chars = Array.from(line); // whole code points: a cut must not split a surrogate pair
  const cut = chars.length > 300 ? `${chars.slice(0, 300).join("")}…` : line;
  return `; its log ends: ${escapeInvisible(cut)}`;
}

async function died(service: Service, what: string): Promise<Error> {
  return new Error(`${service.name} exited before ${what}${await lastWords(service)}`);
}

/** Poll until check() resolves true; fail early if the service died. */
export async function waitFor(
  what: string,
  service: Service,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.exited) throw await died(service, what);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  // It may have died during the last wait: that, not the clock, is then the reason.
  if (service.exited) throw await died(service, what);
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

/**
 * SIGTERM, then require a clean exit (code 0) within the grace period. Our
 * own services must exit 0; third-party ones (moto) may die by the signal.
 */
export async function stopGracefully(service: Service, graceMs: number, opts: { allowSignalExit?: boolean } = {}): Promise<void> {
  if (service.exited) {
    const r = await service.proc;
    throw new Error(`${service.name} had already exited (code ${r.exitCode ?? r.signal})${await lastWords(service)}`);
  }
  service.proc.kill("SIGTERM");
  // A ref'd timer, cleared when the service wins: an unref'd one leaves nothing keeping the
  // event loop alive if the service's own handles close first, and Node then ends the whole
  // run with exit 0 mid-await (see the beforeExit guard in cli.ts).
  let timeout: NodeJS.Timeout | undefined;
  const timer = new Promise<"timeout">((r) => (timeout = setTimeout(() => r("timeout"), graceMs)));
  const outcome = await Promise.race([service.proc, timer]).finally(() => clearTimeout(timeout));
  if (outcome === "timeout") {
    service.proc.kill("SIGKILL");
    throw new Error(`${service.name} did not exit within ${graceMs / 1000}s of SIGTERM`);
  }
  if (opts.allowSignalExit && outcome.signal === "SIGTERM") return;
  if (outcome.exitCode !== 0) {
    throw new Error(`${service.name} exited with ${outcome.exitCode ?? outcome.signal} after SIGTERM, want 0`);
  }
}

export function killAll(services: Service[]): void {
  for (const s of services) if (!s.exited) s.proc.kill("SIGKILL");
}
