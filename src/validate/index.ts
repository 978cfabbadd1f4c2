import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import { MANIFEST_FILE, parseManifest, type Manifest } from "../manifest.js";
import type { Report, StepResult } from "./report.js";
import { ciStep } from "./ci-lint.js";
import { ensureMoto } from "./moto.js";
import { queueSmokeStep } from "./queue-smoke.js";
import { smokeStep } from "./smoke.js";
import { contractStep, goStep, rustStep, type StepContext } from "./steps.js";
import { ensureBuf, probeTools } from "./toolchains.js";

type Step = { name: string; run: (ctx: StepContext) => Promise<void> };

const STEPS: Step[] = [
  { name: "contract", run: contractStep },
  { name: "ci", run: ciStep },
  { name: "go", run: goStep },
  { name: "rust", run: rustStep },
  { name: "smoke", run: (ctx) => (ctx.manifest.orchestrator.ingress === "http" ? smokeStep(ctx) : queueSmokeStep(ctx)) },
];

export interface ValidateHooks {
  onStep?: (r: StepResult) => void;
  onNote?: (msg: string) => void;
}

/**
 * doctor → contract → go → rust → smoke. The first failure skips the rest;
 * logs are kept (and named) only when something failed.
 */
export async function validate(target: string, hooks: ValidateHooks = {}): Promise<Report> {
  const dir = resolve(target);
  const manifest = readRepoManifest(target);

  const work = mkdtempSync(join(tmpdir(), "hybrid-backend-validate-"));
  const ctx: StepContext = {
    dir,
    manifest,
    work,
    buf: "",
    log: (step) => join(work, `${step}.log`),
    binaries: {},
  };
  const steps: StepResult[] = [];
  const record = (r: StepResult) => {
    steps.push(r);
    hooks.onStep?.(r);
  };
  const all: Step[] = [{ name: "doctor", run: (c) => doctorStep(c, hooks.onNote) }, ...STEPS];
  let failed = false;
  for (const step of all) {
    if (failed) {
      record({ name: step.name, status: "skipped", durationMs: 0 });
      continue;
    }
    const started = performance.now();
    try {
      await step.run(ctx);
      record({ name: step.name, status: "passed", durationMs: Math.round(performance.now() - started) });
    } catch (err) {
      failed = true;
      const message = err instanceof Error ? err.message : String(err);
      writeFileSync(join(work, `${step.name}.error.txt`), `${message}\n`);
      record({ name: step.name, status: "failed", durationMs: Math.round(performance.now() - started), error: message });
    }
  }
  if (!failed) rmSync(work, { recursive: true, force: true });
  return { ok: !failed, steps, logs: failed ? work : undefined };
}

/** The repo's manifest, or a UsageError saying why this is not such a repo. */
export function readRepoManifest(target: string): Manifest {
  const path = join(resolve(target), MANIFEST_FILE);
  if (!existsSync(path)) {
    throw new UsageError("directory", target, `it has no ${MANIFEST_FILE}; pass a folder made by create-hybrid-backend`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new UsageError(MANIFEST_FILE, path, `it is not valid JSON (${(err as Error).message})`);
  }
  return parseManifest(raw, MANIFEST_FILE);
}

async function doctorStep(ctx: StepContext, note?: (msg: string) => void): Promise<void> {
  const tools = await probeTools();
  const queue = ctx.manifest.orchestrator.ingress !== "http";
  // moto and the GitLab CI schema check both run from Python virtualenvs.
  const python = queue || ctx.manifest.ci.providers.includes("gitlab");
  const missing = tools.filter((t) => (t.required || (python && t.name === "python3")) && !t.version && t.name !== "buf");
  if (missing.length) {
    throw new Error(`missing: ${missing.map((t) => `${t.name} (${t.hint})`).join("; ")}`);
  }
  ctx.buf = await ensureBuf(note ?? (() => {}));
  if (queue) ctx.motoBin = await ensureMoto(note ?? (() => {}));
}
