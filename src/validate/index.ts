import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { MANIFEST_FILE, parseManifest, type Manifest } from "../manifest.js";
import { readManifestFile } from "../write/repo.js";
import type { Report, StepResult } from "./report.js";
import { ciStep } from "./ci-lint.js";
import { deployStep } from "./deploy.js";
import { ensureMoto } from "./moto.js";
import { queueSmokeStep } from "./queue-smoke.js";
import { smokeStep } from "./smoke.js";
import { contractStep, goStep, rustStep, type StepContext } from "./steps.js";
import { ensureBuf, probeTools } from "./toolchains.js";
import { fingerprint, remember, replay } from "./verdicts.js";

type Step = { name: string; run: (ctx: StepContext) => Promise<void>; when?: (m: Manifest) => boolean };

const SMOKE: Step = {
  name: "smoke",
  run: (ctx) => (ctx.manifest.orchestrator.ingress === "http" ? smokeStep(ctx) : queueSmokeStep(ctx)),
};

/**
 * The checks in between need only doctor's tools and are independent of each
 * other (go and cargo each keep their own locks and caches), so they run at
 * once; smoke needs the binaries from go and rust.
 */
const CHECKS: Step[] = [
  { name: "contract", run: contractStep },
  { name: "ci", run: ciStep },
  { name: "go", run: goStep },
  { name: "rust", run: rustStep },
  { name: "deploy", run: deployStep, when: (m) => m.deploy.includes("kubernetes") },
];

export interface ValidateOptions {
  onStep?: (r: StepResult) => void;
  onNote?: (msg: string) => void;
  /** Rerun every check even when the tree is unchanged since the last pass. */
  noCache?: boolean;
}

/**
 * doctor → (contract, ci, go, rust, deploy) → smoke. A failure skips the later
 * stages; logs are kept (and named) only when something failed. Results are
 * reported in this order whatever order the parallel checks finish in.
 */
export async function validate(target: string, options: ValidateOptions = {}): Promise<Report> {
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
    toolVersions: [],
    note: options.onNote,
  };
  const checks = CHECKS.filter((s) => s.when?.(manifest) ?? true);
  const steps: StepResult[] = [];
  const record = (r: StepResult) => {
    steps.push(r);
    options.onStep?.(r);
  };

  let ok = await runStage([{ name: "doctor", run: (c) => doctorStep(c, options.onNote) }], ctx, record, work);
  let print: string | undefined;
  if (ok) {
    print = fingerprint(dir, ctx.toolVersions);
    const replayed = options.noCache ? undefined : replay(dir, print);
    if (replayed) {
      ctx.binaries = replayed;
      for (const step of checks) record({ name: step.name, status: "passed", durationMs: 0, cached: true });
    } else {
      ok = await runStage(checks, ctx, record, work);
    }
  } else {
    for (const step of checks) record({ name: step.name, status: "skipped", durationMs: 0 });
  }
  if (ok) ok = await runStage([SMOKE], ctx, record, work);
  else record({ name: SMOKE.name, status: "skipped", durationMs: 0 });

  if (ok && print) remember(dir, print, ctx.binaries);
  if (ok) rmSync(work, { recursive: true, force: true });
  return { ok, steps, logs: ok ? undefined : work };
}

/** Runs steps concurrently; reports them in their listed order as each is known. */
async function runStage(stage: Step[], ctx: StepContext, record: (r: StepResult) => void, work: string): Promise<boolean> {
  const results: (StepResult | undefined)[] = stage.map(() => undefined);
  let flushed = 0;
  const flush = () => {
    while (flushed < stage.length && results[flushed]) record(results[flushed++]!);
  };
  await Promise.all(
    stage.map(async (step, i) => {
      const started = performance.now();
      try {
        await step.run(ctx);
        results[i] = { name: step.name, status: "passed", durationMs: Math.round(performance.now() - started) };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        writeFileSync(join(work, `${step.name}.error.txt`), `${message}\n`);
        results[i] = { name: step.name, status: "failed", durationMs: Math.round(performance.now() - started), error: message };
      }
      flush();
    }),
  );
  return results.every((r) => r?.status === "passed");
}

/** The repo's manifest, or a UsageError saying why this is not such a repo. */
export function readRepoManifest(target: string): Manifest {
  return parseManifest(readManifestFile(resolve(target), target).json, MANIFEST_FILE);
}

async function doctorStep(ctx: StepContext, note?: (msg: string) => void): Promise<void> {
  const tools = await probeTools();
  const queue = ctx.manifest.orchestrator.ingress !== "http";
  // moto, the GitLab CI schema check and the deploy checks run from Python virtualenvs.
  const python = queue || ctx.manifest.ci.providers.includes("gitlab") || ctx.manifest.deploy.includes("kubernetes");
  const kubectl = ctx.manifest.deploy.includes("kubernetes");
  const missing = tools.filter(
    (t) => (t.required || (python && t.name === "python3") || (kubectl && t.name === "kubectl")) && !t.version && t.name !== "buf",
  );
  if (missing.length) {
    throw new Error(`missing: ${missing.map((t) => `${t.name} (${t.hint})`).join("; ")}`);
  }
  ctx.buf = await ensureBuf(note ?? (() => {}));
  ctx.toolVersions = tools.map((t) => `${t.name} ${t.version ?? "-"}`);
  if (queue) ctx.motoBin = await ensureMoto(note ?? (() => {}));
}
