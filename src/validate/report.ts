export type StepStatus = "passed" | "failed" | "skipped";

export interface StepResult {
  name: string;
  status: StepStatus;
  durationMs: number;
  error?: string;
  /** Replayed from the last pass of an unchanged tree (see verdicts.ts). */
  cached?: boolean;
}

export interface Report {
  ok: boolean;
  steps: StepResult[];
  logs?: string;
}

const MARK: Record<StepStatus, string> = { passed: "ok  ", failed: "FAIL", skipped: "skip" };

/** One line per step as it finishes; plain text, so it reads the same in CI logs. */
export function stepLine(r: StepResult): string {
  const secs = (r.durationMs / 1000).toFixed(1).padStart(6);
  return `  ${MARK[r.status]} ${r.name.padEnd(9)} ${secs}s${r.cached ? "  (unchanged since its last pass)" : ""}`;
}

export function toJson(report: Report): string {
  const steps = report.steps.map(({ name, status, durationMs, cached }) => ({ name, status, durationMs, ...(cached ? { cached } : {}) }));
  const out: Record<string, unknown> = { ok: report.ok, steps };
  const failed = report.steps.find((s) => s.status === "failed");
  if (failed) out.error = { step: failed.name, message: failed.error, logs: report.logs };
  return JSON.stringify(out, null, 2);
}
