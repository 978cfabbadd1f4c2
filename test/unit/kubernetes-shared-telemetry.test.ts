import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { TELEMETRY_CONFIG } from "../../src/render/kubernetes.js";
import { SAMPLED_TRACES } from "../../src/render/otel-env.js";
import { writeTree } from "../../src/write/create.js";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * A setting every service reads lives once per overlay (shared-telemetry),
 * and every container of every pod takes it: a team that changes prod's
 * sampling edits one line and cannot leave a service behind, and `add worker`
 * has no per-service copy to write beside that edited line.
 */
vi.setConfig({ testTimeout: 120_000 });

/** The settings each environment holds once for all services. */
const SHARED = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"];

type Doc = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: any };

/** Every container's (sidecars' too) value of each SHARED setting, as the kubelet would resolve its envFrom and env. */
function containerEnv(overlayDir: string): Map<string, Record<string, string | undefined>> {
  const yaml = execFileSync("kubectl", ["kustomize", overlayDir], { encoding: "utf8" });
  const docs = parseAllDocuments(yaml).map((d) => d.toJS() as Doc);
  const maps = new Map(docs.filter((d) => d.kind === "ConfigMap").map((d) => [d.metadata.name, d.data ?? {}]));
  const out = new Map<string, Record<string, string | undefined>>();
  for (const d of docs.filter((x) => x.kind === "Deployment")) {
    const pod = d.spec.template.spec;
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const env: Record<string, string> = {};
      for (const from of c.envFrom ?? []) Object.assign(env, maps.get(from.configMapRef.name) ?? {});
      for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
      out.set(`${d.metadata.name}/${c.name}`, Object.fromEntries(SHARED.map((k) => [k, env[k]])));
    }
  }
  return out;
}

const presets = ["http", "sqs", "kinesis"] as const;
const transports = ["tcp", "uds"] as const;
const workerSets = [["scorer"], ["scorer", "pricing"]];
const cases = presets.flatMap((ingress) => transports.flatMap((transport) => workerSets.map((names) => [ingress, transport, names] as const)));

describe("one source per overlay for the settings every service reads", () => {
  it.each(cases)("%s × %s × %j: every container gets the overlay's one value, and an edit of it reaches all", (ingress, transport, names) => {
    const m = parseManifest({
      name: "risk-api",
      orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress },
      workers: names.map((name) => ({ name, transport })),
    });
    const dir = join(tempDir("chb-kube-shared-"), "repo");
    mkdirSync(dir);
    writeTree(dir, render(m));
    for (const env of ["dev", "prod"] as const) {
      const overlay = join(dir, "deploy/kubernetes/overlays", env);
      const before = [...containerEnv(overlay).entries()];
      // orchestrator + each worker: one container each.
      expect(before.length).toBe(1 + names.length);
      const want = {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector.observability.svc:4317",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
        OTEL_RESOURCE_ATTRIBUTES: `deployment.environment.name=${env}`,
        OTEL_TRACES_SAMPLER: env === "prod" ? SAMPLED_TRACES.sampler : undefined,
        OTEL_TRACES_SAMPLER_ARG: env === "prod" ? SAMPLED_TRACES.ratio : undefined,
      };
      for (const [container, values] of before) expect(values, `${env}: ${container}`).toEqual(want);

      // The team's edit: the one line that holds the value, changed once.
      const file = join(overlay, "kustomization.yaml");
      const text = readFileSync(file, "utf8");
      const [key, from, to] =
        env === "prod" ? ["OTEL_TRACES_SAMPLER_ARG", `OTEL_TRACES_SAMPLER_ARG=${SAMPLED_TRACES.ratio}`, "0.25"] : ["OTEL_RESOURCE_ATTRIBUTES", "OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=dev", "deployment.environment.name=staging"];
      expect(text.split(from).length - 1, `${env}: ${from} written once`).toBe(1);
      writeFileSync(file, text.replace(from, `${key}=${to}`));
      for (const [container, values] of containerEnv(overlay)) expect(values[key], `${env}: ${container}`).toBe(to);
    }
  });
});

const CONFLICT = /\d+ conflicts?\b|^\s*conflict\s/m;

it("names the shared ConfigMap so that no worker's own objects (NAME, NAME-config) can take its name", () => {
  expect(TELEMETRY_CONFIG).not.toMatch(/^[a-z][a-z0-9]{1,23}(?:-config)?$/);
});

describe("add/remove worker after the team changed prod's sampling", () => {
  it("merge with no conflict, keep the edit, and the new worker samples as the rest", async () => {
    const parent = tempDir("chb-kube-sampling-");
    const dir = join(parent, "app");
    const created = await runCli(["app", "--yes", "--no-validate", "--ingress", "sqs", "--module", "github.com/acme/app/orchestrator"], parent);
    expect(created.exitCode, created.stderr).toBe(0);
    const overlay = join(dir, "deploy/kubernetes/overlays/prod");
    const file = join(overlay, "kustomization.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(`OTEL_TRACES_SAMPLER_ARG=${SAMPLED_TRACES.ratio}`, "OTEL_TRACES_SAMPLER_ARG=0.25"));

    const add = await runCli(["add", "worker", "pricing"], dir);
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    // A conflict is counted in the summary and listed on a line of its own.
    expect(add.stdout + add.stderr).not.toMatch(CONFLICT);
    const added = readFileSync(file, "utf8");
    expect(added).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
    const env = containerEnv(overlay);
    expect([...env.keys()]).toContain("pricing/pricing");
    for (const [container, values] of env) expect(values.OTEL_TRACES_SAMPLER_ARG, container).toBe("0.25");

    const remove = await runCli(["remove", "worker", "pricing"], dir);
    expect(remove.exitCode, remove.stdout + remove.stderr).toBe(0);
    expect(remove.stdout + remove.stderr).not.toMatch(CONFLICT);
    expect(readFileSync(file, "utf8")).toContain("OTEL_TRACES_SAMPLER_ARG=0.25");
    for (const [container, values] of containerEnv(overlay)) expect(values.OTEL_TRACES_SAMPLER_ARG, container).toBe("0.25");
  });
});
