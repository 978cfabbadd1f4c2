/**
 * What validate is doing right now, for the progress display: which steps
 * run, which command each is in, and cargo's own count of compiled units.
 * The steps report; src/validate/progress.ts decides how (or whether) to show it.
 */
export interface Activity {
  stepStarted(step: string): void;
  /** As soon as it ends; results are reported later, in the steps' order. */
  stepFinished(step: string, ok: boolean): void;
  /** `where` is the folder relative to the repo ("workers/"), or "" for its root. */
  commandStarted(step: string, command: string, where: string): void;
  /** Cargo's progress bar: units done of total, and the crates being built now. */
  cargoProgress(step: string, done: number, total: number, building: string): void;
}

export const NO_ACTIVITY: Activity = {
  stepStarted: () => {},
  stepFinished: () => {},
  commandStarted: () => {},
  cargoProgress: () => {},
};

/** The step a command belongs to and where to report it; part of RunOptions. */
export interface Track {
  step: string;
  activity: Activity;
  /** The repo root, to show a command's folder relative to it. */
  root: string;
}

/** Where a step's commands report themselves. */
export function track(ctx: { activity: Activity; dir: string }, step: string): Track {
  return { step, activity: ctx.activity, root: ctx.dir };
}

/**
 * Cargo draws its progress bar (`Building [==>  ] 87/243: tokio, prost`) on
 * stderr, each frame ended by a carriage return. Asked to draw it even into a
 * pipe (term.progress.when = always, a documented setting), it gives cargo's
 * own count of the units in this build, including build scripts and units
 * already fresh. Chosen over counting `--message-format=json` artifacts,
 * whose total only the unstable `--unit-graph` knows, and over `-v`, which
 * gives no total at all. If a cargo release draws it differently, the
 * display just shows no count.
 */
export const CARGO_PROGRESS_ENV = { CARGO_TERM_PROGRESS_WHEN: "always", CARGO_TERM_PROGRESS_WIDTH: "120" } as const;

const BAR = /Building \[[^\]]*\]\s+(\d+)\/(\d+)(?::\s*(.*?))?\s*$/;

export function parseCargoProgress(frame: string): { done: number; total: number; building: string } | undefined {
  const m = BAR.exec(frame);
  return m ? { done: Number(m[1]), total: Number(m[2]), building: m[3] ?? "" } : undefined;
}

/**
 * Removes the frames a progress bar draws (text ended by a lone carriage
 * return), so logs and failure messages hold only the lines a plain run prints.
 */
export function withoutFrames(text: string): string {
  return text.replace(/[^\r\n]*\r(?!\n)/g, "");
}

/** Splits a stream into carriage-return or newline ended frames as it arrives. */
export function frameSplitter(onFrame: (frame: string) => void): (chunk: Buffer | string) => void {
  let rest = "";
  return (chunk) => {
    const parts = (rest + chunk.toString()).split(/\r\n|\r|\n/);
    rest = parts.pop() ?? "";
    for (const p of parts) onFrame(p);
  };
}
