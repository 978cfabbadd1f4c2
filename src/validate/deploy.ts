import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TEMPLATES_DIR } from "../paths.js";
import { track } from "./activity.js";
import { CommandFailed, run } from "./exec.js";
import { graceFaults } from "./grace.js";
import { scalerFaults } from "./scaler.js";
import { servedBy, wiringFaults } from "./wiring.js";
import { LINTERS, ensurePythonLinter } from "./linters.js";
import type { StepContext } from "./steps.js";
import { makeDirs } from "../make-dirs.js";

/**
 * deploy/kubernetes, proved offline (there is no cluster to dry-run
 * against): every overlay builds with kustomize; the core objects pass
 * every pod's grace period covers the drains its settings ask for (grace.ts)
 * and KEDA's SQS target fits what a replica's CONCURRENCY takes (scaler.ts);
 * every probe, scrape, Service, policy port and worker address reaches what
 * the containers serve (wiring.ts);
 * kubernetes-validate --strict for the Kubernetes version the manifest names;
 * the KEDA objects pass KEDA's own CRD schemas (vendored, see KEDA_VERSION);
 * every Deployment sets each request or limit its containers' env reads
 * (resourceFieldRef), with the schema the generated check.sh uses;
 * checkov finds no failed policy in the built manifests or the Dockerfiles
 * (skips are annotated with their reason where they apply).
 */

/** The KEDA release whose CRD schemas are vendored in templates/deploy/kubernetes/check/schemas/keda (scripts/vendor-keda-schemas.py). */
export const KEDA_VERSION = "v2.18.3";
const KEDA_SCHEMAS: Record<string, string> = {
  ScaledObject: "scaledobject.json",
  TriggerAuthentication: "triggerauthentication.json",
};

export interface Doc {
  apiVersion: string;
  kind: string;
  text: string;
}

/**
 * kustomize's output split into its documents. kustomize writes one object
 * per document with top-level keys at column 0, so the two keys needed here
 * are read without a YAML parser; the validators parse the documents.
 */
export function splitDocs(yaml: string): Doc[] {
  return yaml
    .split(/^---$/m)
    .map((text) => text.trim())
    .filter(Boolean)
    .map((text) => ({
      apiVersion: /^apiVersion: *(\S+)$/m.exec(text)?.[1] ?? "",
      kind: /^kind: *(\S+)$/m.exec(text)?.[1] ?? "",
      text: `${text}\n`,
    }));
}

export interface CheckovSummary {
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}

export async function deployStep(ctx: StepContext): Promise<void> {
  const log = ctx.log("deploy");
  const root = join(ctx.dir, "deploy", "kubernetes");
  const out = join(ctx.work, "deploy");
  makeDirs(out);
  const install = (msg: string) => ctx.activity.commandStarted("deploy", msg, "");
  const opts = { cwd: ctx.dir, track: track(ctx, "deploy") };
  const [kubernetesValidate, checkJsonschema, checkov] = await Promise.all([
    ensurePythonLinter("kubernetesValidate", install),
    ensurePythonLinter("checkJsonschema", install),
    ensurePythonLinter("checkov", install),
  ]);
  const overlays = readdirSync(join(root, "overlays"), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (!overlays.length) throw new CommandFailed("deploy", `no overlays in ${root}/overlays`);

  const served = servedBy(ctx.dir);
  const built: string[] = [];
  const core: string[] = [];
  const keda = new Map<string, string[]>();
  const deployments: string[] = [];
  for (const overlay of overlays) {
    const yaml = await run(log, "kubectl", ["kustomize", join(root, "overlays", overlay)], opts);
    const file = join(out, `${overlay}.yaml`);
    writeFileSync(file, yaml);
    built.push(file);
    const faults = [...graceFaults(yaml), ...scalerFaults(yaml), ...wiringFaults(yaml, served)];
    if (faults.length) throw new CommandFailed("deploy", faults.map((f) => `${overlay}: ${f}`).join("\n"));
    const docs = splitDocs(yaml);
    const coreDocs = docs.filter((d) => !d.apiVersion.startsWith("keda.sh/"));
    const coreFile = join(out, `${overlay}.core.yaml`);
    writeFileSync(coreFile, coreDocs.map((d) => d.text).join("---\n"));
    core.push(coreFile);
    docs.filter((d) => d.apiVersion.startsWith("keda.sh/")).forEach((d, i) => {
      if (!KEDA_SCHEMAS[d.kind]) throw new CommandFailed("deploy", `${overlay}: no vendored KEDA schema for ${d.kind}`);
      const f = join(out, `${overlay}.keda-${i}.yaml`);
      writeFileSync(f, d.text);
      keda.set(d.kind, [...(keda.get(d.kind) ?? []), f]);
    });
    docs.filter((d) => d.kind === "Deployment").forEach((d, i) => {
      const f = join(out, `${overlay}.deployment-${i}.yaml`);
      writeFileSync(f, d.text);
      deployments.push(f);
    });
  }

  const version = `${ctx.manifest.toolchains.kubernetes}.0`;
  const report = await run(log, kubernetesValidate, ["--strict", "--kubernetes-version", version, ...core], opts);
  // An object without a schema is only a warning there; here it is a failure.
  const unknown = report.split("\n").filter((l) => /couldn't find schema/i.test(l));
  if (unknown.length) throw new CommandFailed("kubernetes-validate", unknown.join("\n"));

  const schemas = kedaSchemasDir();
  for (const [kind, files] of keda) {
    await run(log, checkJsonschema, ["--schemafile", join(schemas, KEDA_SCHEMAS[kind]!), ...files], opts);
  }
  // A request or limit read by env but unset is no error to the API server: the kubelet gives 0 (or the node's allocatable).
  if (deployments.length) await run(log, checkJsonschema, ["--schemafile", join(schemas, "..", "resource-fields", "deployment.json"), ...deployments], opts);

  const summary = await checkovScan(ctx, checkov, built, log);
  ctx.note?.(
    `deploy: ${overlays.length} overlays built; Kubernetes ${ctx.manifest.toolchains.kubernetes} schemas (strict) and KEDA ${KEDA_VERSION} CRD schemas pass; every resource env reads is set; ` +
      `checkov ${LINTERS.checkov.version}: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped (annotated). ` +
      "No cluster here, so no server-side dry run (kubectl apply --dry-run=server) or admission check.",
  );
}

/** checkov over the built overlays and the Dockerfiles, offline; throws on any failed check. */
async function checkovScan(ctx: StepContext, checkov: string, manifests: string[], log: string): Promise<CheckovSummary> {
  const dockerfiles = ctx.manifest.docker
    ? ["orchestrator/Dockerfile", ...ctx.manifest.workers.map((w) => `workers/${w.name}/Dockerfile`)].filter((f) => existsSync(join(ctx.dir, f)))
    : [];
  const files = [...manifests, ...dockerfiles].flatMap((f) => ["--file", f]);
  const frameworks = dockerfiles.length ? ["kubernetes", "dockerfile"] : ["kubernetes"];
  // --skip-download: no Prisma Cloud calls (no network, no account); --soft-fail: read the verdict from the report.
  const json = await run(
    log,
    checkov,
    ["--quiet", "--compact", "--skip-download", "--soft-fail", "--output", "json", "--framework", ...frameworks, ...files],
    { cwd: ctx.dir, track: track(ctx, "deploy") },
  );
  const summary = readCheckov(json);
  if (summary.failed) throw new CommandFailed(`checkov (${summary.failed} failed)`, summary.failures.join("\n"));
  return summary;
}

interface CheckovReport {
  summary: { passed: number; failed: number; skipped: number };
  results?: { failed_checks?: { check_id: string; check_name: string; file_path: string; resource: string }[] };
}

export function readCheckov(json: string): CheckovSummary {
  const parsed = JSON.parse(json) as CheckovReport | CheckovReport[];
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const sum = { passed: 0, failed: 0, skipped: 0, failures: [] as string[] };
  for (const r of reports) {
    sum.passed += r.summary.passed;
    sum.failed += r.summary.failed;
    sum.skipped += r.summary.skipped;
    for (const f of r.results?.failed_checks ?? []) sum.failures.push(`${f.check_id} ${f.check_name}: ${f.resource} (${f.file_path})`);
  }
  return sum;
}

/** The vendored KEDA schemas: src/ in a checkout, dist/ (copied by the build) in the published package. */
function kedaSchemasDir(): string {
  // The copy every generated repo gets (deploy/kubernetes/schemas), read from this package, not the repo under test.
  const dir = join(TEMPLATES_DIR, "deploy", "kubernetes", "check", "schemas", "keda");
  if (!existsSync(join(dir, "scaledobject.json"))) throw new Error(`the vendored KEDA schemas are missing from ${dir}`);
  return dir;
}
