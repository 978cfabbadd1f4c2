import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { OTEL_VARIABLES, SAMPLED_TRACES } from "../../src/render/otel-env.js";
import { orchestratorSettings } from "../../src/render/settings.js";
import { workerSettings } from "../../src/render/worker-settings.js";
import { workerContexts } from "../../src/render/workers.js";
import { splitDocs } from "../../src/validate/deploy.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Every variable a built overlay gives a container is one that container's
 * program reads: a name of its settings table (config.go, config.rs render
 * theirs from the same one), an OTEL_* variable the SDKs honour, or, for the
 * orchestrator, the AWS SDK's AWS_REGION. A manifest variable nothing reads
 * is a setting silently left at its default.
 */
interface Container {
  name: string;
  env?: { name: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
}
interface Obj {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template?: { spec: { containers: Container[]; initContainers?: Container[] } } };
}

const PRESETS = {
  http: { ingress: "http" },
  sqs: { ingress: "sqs", sink: "dynamodb" },
  kinesis: { ingress: "kinesis", sink: "dynamodb" },
} as const;

describe.each(Object.entries(PRESETS))("container environments, %s", (_preset, orchestrator) => {
  it.each(["dev", "prod"])("%s: every variable is one the program reads", (env) => {
    const m = parseManifest({
      name: "risk-api",
      orchestrator: { module: "github.com/acme/risk-api/orchestrator", ...orchestrator },
      workers: [
        { name: "scorer", transport: "tcp" },
        { name: "pricing", transport: "uds" },
      ],
    });
    const dir = join(tempDir("chb-kube-env-"), "repo");
    mkdirSync(dir);
    writeTree(dir, render(m));
    const yaml = execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays", env)], { encoding: "utf8" });
    const objs = splitDocs(yaml).map((d) => parse(d.text) as Obj);
    const maps = new Map(objs.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, o.data ?? {}]));
    const workers = workerContexts(m);
    const otel = OTEL_VARIABLES.map((s) => s.name);
    const reads = (container: string): string[] =>
      container === "orchestrator"
        ? [...orchestratorSettings(m, workers).settings.map((s) => s.name), ...otel, ...(orchestrator.ingress === "http" ? [] : ["AWS_REGION"])]
        : [...workerSettings(workers.find((w) => w.name === container)!, m).settings.map((s) => s.name), ...otel];
    const unread: string[] = [];
    let checked = 0;
    for (const o of objs) {
      const pod = o.spec?.template?.spec;
      if (!pod) continue;
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const names = [...(c.env ?? []).map((e) => e.name), ...(c.envFrom ?? []).flatMap((f) => Object.keys(maps.get(f.configMapRef?.name ?? "") ?? {}))];
        checked += names.length;
        for (const n of names) if (!reads(c.name).includes(n)) unread.push(`${c.name}: ${n}`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(unread).toEqual([]);
    // prod samples traces as make bench's tracing overhead measures; dev keeps every one.
    for (const o of objs) {
      for (const c of o.spec?.template?.spec ? [...o.spec.template.spec.containers, ...(o.spec.template.spec.initContainers ?? [])] : []) {
        const config = Object.assign({}, ...(c.envFrom ?? []).map((f) => maps.get(f.configMapRef?.name ?? "") ?? {})) as Record<string, string>;
        const want = env === "prod" ? [SAMPLED_TRACES.sampler, SAMPLED_TRACES.ratio] : [undefined, undefined];
        expect([config.OTEL_TRACES_SAMPLER, config.OTEL_TRACES_SAMPLER_ARG], `${env} ${c.name}`).toEqual(want);
      }
    }
  });
});
