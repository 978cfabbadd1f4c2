import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { SQS_CONCURRENCY, SQS_RECEIVE_MAX, orchestratorSettings } from "../../src/render/settings.js";
import { workerContexts } from "../../src/render/workers.js";
import { splitDocs } from "../../src/validate/deploy.js";
import { scalerFaults } from "../../src/validate/scaler.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * KEDA's SQS queueLength is what one orchestrator replica works on at once:
 * CONCURRENCY receives of up to ten messages. The ConfigMap shows CONCURRENCY
 * beside it, where an overlay can lower it; validate (scalerFaults, run on
 * every built overlay) refuses a queueLength the replicas cannot take, so
 * lowering one without the other cannot pass silently.
 */
function generate(): string {
  const dir = join(tempDir("chb-scaler-"), "repo");
  mkdirSync(dir);
  const m = parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress: "sqs", sink: "dynamodb" },
    workers: [{ name: "scorer", transport: "uds" }],
  });
  writeTree(dir, render(m));
  return dir;
}

const overlay = (dir: string, env = "prod") => join(dir, "deploy/kubernetes/overlays", env);
const build = (dir: string, env = "prod") => execFileSync("kubectl", ["kustomize", overlay(dir, env)], { encoding: "utf8" });

/** Set CONCURRENCY in the prod overlay's merge of the orchestrator's ConfigMap, as a team would. */
function setConcurrency(dir: string, value: number) {
  const file = join(overlay(dir), "kustomization.yaml");
  const text = readFileSync(file, "utf8");
  const head = "  - name: orchestrator-config\n    behavior: merge\n    literals:\n";
  expect(text).toContain(head);
  writeFileSync(file, text.replace(head, `${head}      - CONCURRENCY=${value}\n`));
}

function setQueueLength(dir: string, value: number) {
  appendFileSync(
    join(overlay(dir), "kustomization.yaml"),
    `  - target:\n      kind: ScaledObject\n      name: orchestrator\n    patch: |-\n      - op: replace\n        path: /spec/triggers/0/metadata/queueLength\n        value: "${value}"\n`,
  );
}

describe("KEDA's SQS target against the CONCURRENCY an overlay configures", () => {
  it("the generated overlays set CONCURRENCY, the settings table's default, beside the queueLength derived from it", () => {
    const dir = generate();
    const m = parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress: "sqs", sink: "dynamodb" } });
    expect(orchestratorSettings(m, workerContexts(m)).settings.find((s) => s.name === "CONCURRENCY")?.default).toBe(String(SQS_CONCURRENCY));
    for (const env of ["dev", "prod"]) {
      const docs = splitDocs(build(dir, env)).map((d) => parse(d.text) as { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: { triggers?: { metadata: Record<string, string> }[] } });
      const config = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name.startsWith("orchestrator-config"))!;
      const scaled = docs.find((d) => d.kind === "ScaledObject")!;
      expect(config.data?.CONCURRENCY, env).toBe(String(SQS_CONCURRENCY));
      expect(scaled.spec?.triggers?.[0]?.metadata.queueLength, env).toBe(String(SQS_CONCURRENCY * SQS_RECEIVE_MAX));
      expect(scalerFaults(build(dir, env)), env).toEqual([]);
    }
  });

  it("the consumer the repo compiles takes the same two numbers, with no literal of its own", () => {
    const dir = generate();
    const consumer = ["consumer.go", "receive.go"].map((f) => readFileSync(join(dir, "orchestrator/internal/sqsconsumer", f), "utf8")).join("\n");
    expect(consumer).toMatch(new RegExp(`\\bdefaultConcurrency = ${SQS_CONCURRENCY}\\n`));
    expect(consumer).toMatch(new RegExp(`\\breceiveMax\\s+= ${SQS_RECEIVE_MAX}\\n`));
    expect(consumer).toContain("MaxNumberOfMessages: receiveMax,");
    expect(consumer).toContain("cfg.Concurrency = defaultConcurrency");
  });

  it("refuses a CONCURRENCY lowered below what queueLength counts on a replica to take", () => {
    const dir = generate();
    setConcurrency(dir, 5);
    expect(scalerFaults(build(dir))).toEqual([expect.stringMatching(/^ScaledObject orchestrator: queueLength 200 is more than the 50 messages a replica takes at once \(CONCURRENCY=5\)/)]);
  });

  it("accepts it once queueLength follows, and a queueLength lower than a replica takes (scaling out earlier)", () => {
    const dir = generate();
    setConcurrency(dir, 5);
    setQueueLength(dir, 50);
    expect(scalerFaults(build(dir))).toEqual([]);
    setQueueLength(dir, 20);
    expect(scalerFaults(build(dir))).toEqual([]);
  });
});
