import type { Activity } from "./activity.js";
import { stepLine, type StepResult } from "./report.js";
import { human } from "../human.js";

/**
 * How validate shows itself while it runs. Three forms from one event feed:
 * on a terminal, a live block with one line per running step (elapsed time,
 * current command, cargo's unit count) under the finished steps' lines; in a
 * log (CI, a pipe), one line per command as it starts, so the log shows
 * where the time went; with --json, nothing until the report.
 */
export interface Display extends Activity {
  stepDone(r: StepResult): void;
  note(msg: string): void;
  /** Clears the live block; safe to call twice. */
  stop(): void;
}

export function silentDisplay(): Display {
  return { stepStarted() {}, stepFinished() {}, commandStarted() {}, cargoProgress() {}, stepDone() {}, note() {}, stop() {} };
}

/**
 * How often a log gets a line of cargo's progress: a first cargo build runs
 * ten minutes and more, and a log silent that long reads as a hang (and some
 * CI runners stop a job after minutes without output).
 */
export const PLAIN_PROGRESS_MS = 30_000;

export function plainDisplay(print: (line: string) => void, now: () => number = Date.now): Display {
  let stopped = false;
  // Per step, when it last printed a line: its command, or cargo's count.
  const lastLine = new Map<string, number>();
  const write = (line: string) => {
    if (!stopped) print(line);
  };
  return {
    stepStarted() {},
    stepFinished() {},
    commandStarted: (step, command, where) => {
      lastLine.set(step, now());
      write(human`  ${step}: ${command}${where ? ` (${where})` : ""}`);
    },
    cargoProgress(step, done, total, building) {
      const at = now();
      if (at - (lastLine.get(step) ?? at) < PLAIN_PROGRESS_MS) return;
      lastLine.set(step, at);
      write(human`  ${step}: cargo ${done}/${total} units built${building ? ` (now ${building})` : ""}`);
    },
    stepDone: (r) => write(stepLine(r)),
    note: (msg) => write(human`  ${msg}`),
    stop() {
      stopped = true;
    },
  };
}

interface Running {
  started: number;
  /** Ended, waiting for the steps before it to be reported. */
  finished?: { ok: boolean; at: number };
  command?: string;
  cargo?: { done: number; total: number; building: string };
}

const FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
const REDRAW_MS = 250;

/** The live block; `out` is a TTY stream (its width is read on each redraw). */
export function liveDisplay(out: Pick<NodeJS.WriteStream, "write" | "columns">, now: () => number = Date.now): Display {
  const running = new Map<string, Running>();
  let drawn = 0;
  let tick = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const clear = () => {
    // Cursor to the start of the block's first line, then erase to the end.
    if (drawn > 0) out.write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    if (stopped) return;
    clear();
    const width = Math.max(20, (out.columns || 80) - 1);
    const spin = FRAMES[tick++ % FRAMES.length];
    for (const [step, r] of running) {
      out.write(`${fit(liveLine(step, r, now(), spin!), width)}\n`);
      drawn++;
    }
  };
  const print = (line: string) => {
    if (stopped) return;
    clear();
    out.write(`${line}\n`);
    draw();
  };
  const schedule = () => {
    if (!timer) {
      timer = setInterval(draw, REDRAW_MS);
      timer.unref();
    }
  };

  return {
    stepStarted(step) {
      running.set(step, { started: now() });
      schedule();
      draw();
    },
    stepFinished(step, ok) {
      const r = running.get(step);
      if (r) r.finished = { ok, at: now() };
      draw();
    },
    commandStarted(step, command, where) {
      const r = running.get(step) ?? { started: now() };
      running.set(step, { ...r, command: human`${command}${where ? ` (${where})` : ""}`, cargo: undefined });
      draw();
    },
    cargoProgress(step, done, total, building) {
      const r = running.get(step);
      if (r) r.cargo = { done, total, building };
    },
    stepDone(r) {
      running.delete(r.name);
      print(stepLine(r));
    },
    note: (msg) => print(human`  ${msg}`),
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      running.clear();
      clear();
      stopped = true;
    },
  };
}

/** `  ⠋ rust       2m13s  cargo clippy ... (workers/)  87/243 tokio, prost` */
export function liveLine(step: string, r: Running, at: number, spin: string): string {
  if (r.finished) {
    return `  ${r.finished.ok ? "✓" : "✗"} ${step.padEnd(9)} ${elapsed(r.finished.at - r.started).padStart(6)}  ${r.finished.ok ? "done" : "failed"}`;
  }
  const cargo = r.cargo ? `  [${r.cargo.done}/${r.cargo.total}${r.cargo.building ? ` ${r.cargo.building}` : ""}]` : "";
  return `  ${spin} ${step.padEnd(9)} ${elapsed(at - r.started).padStart(6)}  ${r.command ?? "starting"}${cargo}`;
}

export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Cut to the terminal's width: a wrapped line would break the cursor arithmetic. */
function fit(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, width - 1).join("")}…`;
}
