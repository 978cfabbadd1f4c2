import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cacheCap } from "../cache/dir.js";
import { evict, type Eviction } from "../cache/entries.js";
import type { Manifest } from "../manifest.js";
import { parseRecordedManifest } from "../manifest-migrations.js";
import { readManifestFile } from "../write/repo.js";
import { locate } from "../write/worktree.js";
import { NO_ACTIVITY, type Activity } from "./activity.js";
import { interrupted, removeTemp, tempFolder } from "./lifecycle.js";
import type { Report, StepResult } from "./report.js";
import { ciStep } from "./ci-lint.js";
import { deployStep } from "./deploy.js";
import { ensureMoto } from "./moto.js";
import { queueSmokeStep } from "./queue-smoke.js";
import { smokeStep } from "./smoke.js";
import { contractStep, goDepsGate, goStep, rustStep, type StepContext } from "./steps.js";
import { ensureBuf, probeTools } from "./toolchains.js";
import { fingerprint, remember, replay } from "./verdicts.js";

/** applies: false reports the step as skipped (nothing of that kind in this repo). */
type Step = { name: string; run: (ctx: StepContext) => Promise<void>; applies?: (m: Manifest) => boolean };

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
  { name: "ci", run: ciStep, applies: (m) => m.ci.providers.length > 0 },
  // Whatever way the go step ends, the contract step's wait for it ends too.
  { name: "go", run: (ctx) => goStep(ctx).finally(ctx.goDepsDone) },
  { name: "rust", run: rustStep },
  { name: "deploy", run: deployStep, applies: (m) => m.deploy.includes("kubernetes") },
];

export interface ValidateOptions {
  onStep?: (r: StepResult) => void;
  onNote?: (msg: string) => void;
  /** Steps starting, the command each runs, cargo's progress. */
  activity?: Activity;
  /** Told what the size cap removed from the tool's cache after the run. */
  onEvict?: (e: Eviction) => void;
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
  const manifest = await readRepoManifest(target);
  const cap = cacheCap();
  const activity = options.activity ?? NO_ACTIVITY;
  const work = tempFolder("hybrid-backend-validate-");
  const ctx: StepContext = {
    activity,
    dir,
    manifest,
    work,
    buf: "",
    log: (step) => join(work, `${step}.log`),
    binaries: {},
    toolVersions: [],
    note: options.onNote,
    ...goDepsGate(),
  };
  const steps: StepResult[] = [];
  const record = (r: StepResult) => {
    steps.push(r);
    options.onStep?.(r);
  };

  let ok = await runStage([{ name: "doctor", run: (c) => doctorStep(c, options.onNote) }], ctx, record);
  let print: string | undefined;
  if (ok) {
    print = fingerprint(dir, ctx.toolVersions);
    const replayed = options.noCache ? undefined : replay(dir, print);
    if (replayed) {
      ctx.binaries = replayed;
      for (const step of CHECKS) {
        if (step.applies?.(manifest) === false) record({ name: step.name, status: "skipped", durationMs: 0 });
        else record({ name: step.name, status: "passed", durationMs: 0, cached: true });
      }
    } else {
      ok = await runStage(CHECKS, ctx, record);
    }
  } else {
    for (const step of CHECKS) record({ name: step.name, status: "skipped", durationMs: 0 });
  }
  if (ok) ok = await runStage([SMOKE], ctx, record);
  else record({ name: SMOKE.name, status: "skipped", durationMs: 0 });

  if (ok && print) remember(dir, print, ctx.binaries);
  if (ok) removeTemp(work);
  // Whatever this run used stays; older entries go until the cache fits.
  if (!interrupted()) {
    // Housekeeping: a failure here (the cache changed under us) must not cost the run its report.
    try {
      const eviction = evict(cap);
      if (eviction.removed.length) options.onEvict?.(eviction);
    } catch (e) {
      options.onNote?.(`cache: not trimmed (${(e as Error).message})`);
    }
  }
  return { ok, steps, logs: ok ? undefined : work };
}

/** Runs steps concurrently; reports them in their listed order as each is known. */
async function runStage(stage: Step[], ctx: StepContext, record: (r: StepResult) => void): Promise<boolean> {
  const results: (StepResult | undefined)[] = stage.map(() => undefined);
  let flushed = 0;
  const flush = () => {
    while (flushed < stage.length && results[flushed]) record(results[flushed++]!);
  };
  await Promise.all(
    stage.map(async (step, i) => {
      if (step.applies?.(ctx.manifest) === false) {
        results[i] = { name: step.name, status: "skipped", durationMs: 0 };
        flush();
        return;
      }
      const started = performance.now();
      ctx.activity.stepStarted(step.name);
      try {
        await step.run(ctx);
        results[i] = { name: step.name, status: "passed", durationMs: Math.round(performance.now() - started) };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        writeFileSync(join(ctx.work, `${step.name}.error.txt`), `${message}\n`);
        results[i] = { name: step.name, status: "failed", durationMs: Math.round(performance.now() - started), error: message };
      }
      ctx.activity.stepFinished(step.name, results[i]!.status === "passed");
      flush();
    }),
  );
  return results.every((r) => r !== undefined && r.status !== "failed");
}

/** The repo's manifest, or a UsageError saying why this is not such a repo. */
export async function readRepoManifest(target: string): Promise<Manifest> {
  const dir = resolve(target);
  return parseRecordedManifest((await readManifestFile(dir, await locate(dir), target)).json).manifest;
}

async function doctorStep(ctx: StepContext, note?: (msg: string) => void): Promise<void> {
  ctx.activity.commandStarted("doctor", "checking go, cargo, rustfmt, clippy, buf", "");
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
  if (queue) ctx.motoBin = await ensureMoto(ctx.manifest.toolchains.moto, note ?? (() => {}));
}
