import { posix } from "node:path";
import { awsResources } from "./aws-resources.js";
import {
  derivedRegistry,
  MANIFEST_FILE,
  SCHEMA_FILE,
  manifestJsonSchema,
  type Manifest,
} from "../manifest.js";
import { ciPins } from "../manifest-pins.js";
import { TEMPLATES_DIR } from "../paths.js";
import { benchContext } from "./bench.js";
import { GRPC_KEEPALIVE, WORKER_SERVER } from "./worker-server.js";
import { CARGO_COMMANDS } from "./cargo-commands.js";
import { workspaceLock } from "./cargo-lock.js";
import { COMPONENTS, PER_ENV, PER_WORKER, SHARED_CRATES, WORKERS_DIR, WORKSPACE_VERSION, includes, targetName } from "./components.js";
import { ENVIRONMENTS } from "../project-names.js";
import { composeContext } from "./compose.js";
import { ciImages, ciJobs, ciTimeouts, ciWords, rustJobs } from "./ci-jobs.js";
import { partialTemplates, renderTemplate } from "./handlebars.js";
import { partialName, templateFiles, templateListing } from "./template-files.js";
import { kubernetesContext } from "./kubernetes.js";
import { dashboardJson } from "./dashboard.js";
import { DASHBOARD_PATH, observabilityContext } from "./observability.js";
import { SAMPLED_TRACES } from "./otel-env.js";
import { COALESCE, SQS_RECEIVE } from "./settings.js";
import { settingsContext } from "./settings-context.js";
import { SQS_DEAD_LETTER } from "./dead-letters.js";
import { retriesContext } from "./retries.js";
import { portsContext } from "./ports.js";
import { COUNTERS_LOG } from "./ops-log.js";
import { foreignSettings } from "./foreign-settings.js";
import { telemetryContext, workerTelemetry } from "./telemetry.js";
import { UDS_STAGING_EXTRA, exampleNewWorker, readinessContext, shutdownContext, workerContexts } from "./workers.js";
import { sortTree, type FileTree } from "./tree.js";

export type { FileTree, FileEntry } from "./tree.js";
export { sortedPaths, sortTree } from "./tree.js";

/**
 * manifest → file tree. Pure with respect to the target: it reads only the
 * tool's own templates, so create, dry-run, sync and the golden tests all
 * share it.
 */
export function render(manifest: Manifest, templatesDir = TEMPLATES_DIR): FileTree {
  const tree: FileTree = new Map();
  const listing = templateListing(templatesDir);
  const base = baseContext(manifest);
  for (const component of COMPONENTS) {
    const all = templateFiles(listing, component.source);
    const files = all.filter(({ rel }) => partialName(rel) === undefined);
    const partials = partialTemplates(
      all.flatMap(({ rel, source }) => {
        const name = partialName(rel);
        return name === undefined ? [] : [{ name, id: `${component.source}/${rel}`, source: source()?.toString("utf8") }];
      }),
    );
    for (const { target, context } of instances(component.target, manifest, base)) {
      for (const { rel, source } of files) {
        const out = posix.join(target, ...rel.replace(/\.hbs$/, "").split("/").map(targetName));
        // Before reading it: the files a project leaves out are never read.
        if (!includes(out, manifest)) continue;
        const content = rel.endsWith(".hbs")
          ? Buffer.from(renderTemplate(`${component.source}/${rel}`, source()?.toString("utf8"), context, partials))
          : source()!;
        if (tree.has(out)) throw new Error(`two templates render ${out}`);
        tree.set(out, { content, mode: modeOf(out) });
      }
    }
  }
  const lockPath = `${WORKERS_DIR}/Cargo.lock`;
  const lock = tree.get(lockPath);
  if (lock) {
    const text = workspaceLock(lock.content.toString("utf8"), manifest.workers.map((w) => w.name), WORKSPACE_VERSION);
    tree.set(lockPath, { content: Buffer.from(text), mode: lock.mode });
  }
  tree.set(DASHBOARD_PATH, { content: Buffer.from(dashboardJson(manifest)), mode: 0o644 });
  tree.set(MANIFEST_FILE, json(manifest));
  tree.set(SCHEMA_FILE, json(manifestJsonSchema()));
  return sortTree(tree);
}

/**
 * What every template sees, derived once per render rather than once per
 * component: the workers with what they derive from a name (port, env var,
 * Go name), and the CI job table, the cargo build and test commands,
 * shutdown timings and cluster objects, each derived in one place.
 */
function baseContext(m: Manifest) {
  const workers = workerContexts(m);
  const k8s = kubernetesContext(m, workers);
  return { ...m, workers, primary: workers[0], ciJobs: ciJobs(m), ciTimeouts: ciTimeouts(m), rustJobs: rustJobs(m), ciImages: ciImages(m), ciPins: ciPins(m), ciWords: ciWords(m), shutdown: shutdownContext(), bench: benchContext(m), k8s, obs: observabilityContext(m, workers), compose: composeContext(m), telemetry: telemetryContext(m), workerTelemetry: workerTelemetry(m), coalesce: COALESCE, sqsReceive: SQS_RECEIVE, sqsDeadLetter: SQS_DEAD_LETTER, retries: retriesContext(), ports: portsContext(), countersLog: COUNTERS_LOG, sampledTraces: SAMPLED_TRACES, udsStagingExtra: UDS_STAGING_EXTRA, newWorker: exampleNewWorker(m), readiness: readinessContext(m, workers), cargo: CARGO_COMMANDS, sharedCrates: SHARED_CRATES, workspaceVersion: WORKSPACE_VERSION, workerServer: WORKER_SERVER, grpcKeepalive: GRPC_KEEPALIVE, foreignSettings: foreignSettings(m, workers), awsResources: awsResources(m), registryDerived: m.ci.registry === derivedRegistry(m.name, m.orchestrator.module) };
}

/**
 * Where a component lands and what its templates see: once with the base
 * context, or once per environment or worker with that added (and the
 * settings tables as that one sees them).
 */
function instances(target: string, m: Manifest, base: ReturnType<typeof baseContext>): { target: string; context: object }[] {
  const { workers, k8s } = base;
  if (target.includes(PER_ENV)) {
    return ENVIRONMENTS.map((env) => ({ target: target.replace(PER_ENV, env), context: { ...base, settings: settingsContext(m, workers), env: k8s.environments[env] } }));
  }
  if (!target.includes(PER_WORKER)) return [{ target, context: { ...base, settings: settingsContext(m, workers) } }];
  return workers.map((worker, i) => ({
    target: target.replace(PER_WORKER, worker.name),
    context: { ...base, worker, kworker: k8s.workers[i], settings: settingsContext(m, workers, worker) },
  }));
}

/** By rule, not from the template's disk mode, which npm and git may not keep. */
function modeOf(path: string): number {
  return path.endsWith(".sh") ? 0o755 : 0o644;
}

function json(value: unknown) {
  return { content: Buffer.from(`${JSON.stringify(value, null, 2)}\n`), mode: 0o644 };
}
