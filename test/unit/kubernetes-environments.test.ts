import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { parseManifest, type Manifest } from "../../src/manifest.js";
import { ENVIRONMENTS } from "../../src/project-names.js";
import { render } from "../../src/render/index.js";
import { DEV_TAG, OTEL_ENV_ATTRIBUTE, UNPINNED_TAG } from "../../src/render/kubernetes.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * What differs between the overlays, as kustomize builds them: each
 * environment its own AWS resources (and the KEDA trigger reading that
 * backlog), its own telemetry label, and prod nothing but pinned images, set
 * by the README's own deploy command.
 */
interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    triggers?: { metadata: Record<string, string> }[];
    template?: { spec: { containers: Container[]; initContainers?: Container[] } };
  };
}
interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
}

const manifest = (orchestrator: object, workers: [string, string][]) =>
  parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator", ...orchestrator },
    workers: workers.map(([name, transport]) => ({ name, transport })),
  });

function generate(m: Manifest): string {
  const dir = join(tempDir("chb-kube-env-"), "repo");
  mkdirSync(dir);
  writeTree(dir, render(m));
  return dir;
}

const kustomize = (dir: string, path: string) =>
  parseAllDocuments(execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes", path)], { encoding: "utf8" })).map((d) => d.toJS() as K8sObject);
const configMap = (objs: K8sObject[], name: string) => objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith(`${name}-`))!.data!;
const containers = (objs: K8sObject[]) =>
  objs.flatMap((o) => (o.kind === "Deployment" ? [...o.spec!.template!.spec.containers, ...(o.spec!.template!.spec.initContainers ?? [])] : []));

const AWS_NAMES = {
  sqs: ["SQS_QUEUE_NAME", "DYNAMODB_TABLE"],
  kinesis: ["KINESIS_STREAM_NAME", "LEASE_TABLE", "DEAD_LETTER_TABLE", "DYNAMODB_TABLE"],
} as const;

describe.each(["sqs", "kinesis"] as const)("environments, %s", (ingress) => {
  const dir = generate(manifest({ ingress, sink: "dynamodb" }, [["scorer", "tcp"]]));
  const built = Object.fromEntries(ENVIRONMENTS.map((env) => [env, kustomize(dir, `overlays/${env}`)]));

  it("each overlay consumes and writes its own AWS resources, and KEDA reads that same backlog", () => {
    const seen = new Map<string, string>();
    for (const env of ENVIRONMENTS) {
      const config = configMap(built[env]!, "orchestrator-config");
      for (const key of AWS_NAMES[ingress]) {
        // prod keeps the project's own names (a synced repo's prod runs on them already); dev has its own.
        expect(config[key], `${env} ${key}`).toMatch(env === "prod" ? /^risk-api-(?!dev-)/ : /^risk-api-dev-/);
        expect(seen.get(config[key]!), `${config[key]} in ${env} and another environment`).toBeUndefined();
        seen.set(config[key]!, env);
      }
      const trigger = built[env]!.find((o) => o.kind === "ScaledObject")!.spec!.triggers![0]!.metadata;
      expect(ingress === "sqs" ? trigger.queueURL : trigger.streamName).toBe(config[AWS_NAMES[ingress][0]]);
      expect(trigger.awsRegion).toBe(config.AWS_REGION);
      // The IAM grants the overlay documents are on this environment's resources.
      const grants = readFileSync(join(dir, `deploy/kubernetes/overlays/${env}/service-account.yaml`), "utf8");
      for (const key of AWS_NAMES[ingress].filter((k) => k !== "DEAD_LETTER_TABLE" || ingress === "kinesis")) expect(grants, key).toContain(config[key]);
    }
  });

  it("KEDA's trigger follows the orchestrator's settings: an edit to the queue or stream, or the region, moves both", () => {
    // One source per overlay: the README has users set their region (and their resources) in
    // orchestrator-config; a trigger that kept its own copy would read another region's backlog
    // (or none) while the orchestrator consumed this one, and KEDA's fallback would hide it.
    const edited = generate(manifest({ ingress, sink: "dynamodb" }, [["scorer", "uds"]]));
    const backlog = AWS_NAMES[ingress][0];
    for (const env of ENVIRONMENTS) {
      const file = join(edited, `deploy/kubernetes/overlays/${env}/kustomization.yaml`);
      const text = readFileSync(file, "utf8");
      const changed = text.replace(/^( {6}- AWS_REGION=).*$/m, "$1eu-west-2").replace(new RegExp(`^( {6}- ${backlog}=).*$`, "m"), "$1edited-backlog");
      expect(changed, env).not.toBe(text);
      writeFileSync(file, changed);
      const objs = kustomize(edited, `overlays/${env}`);
      const config = configMap(objs, "orchestrator-config");
      expect([config.AWS_REGION, config[backlog]], env).toEqual(["eu-west-2", "edited-backlog"]);
      const trigger = objs.find((o) => o.kind === "ScaledObject")!.spec!.triggers![0]!.metadata;
      expect([trigger.awsRegion, ingress === "sqs" ? trigger.queueURL : trigger.streamName], env).toEqual(["eu-west-2", "edited-backlog"]);
    }
  });

  it("the base names no environment's resource: an overlay cannot inherit one", () => {
    const base = kustomize(dir, "base");
    const config = configMap(base, "orchestrator-config");
    for (const key of [...AWS_NAMES[ingress], "AWS_REGION"]) expect(config[key], key).toBeUndefined();
    const trigger = base.find((o) => o.kind === "ScaledObject")!.spec!.triggers![0]!.metadata;
    expect(Object.keys(trigger)).not.toContain(ingress === "sqs" ? "queueURL" : "streamName");
  });
});

describe("telemetry per environment", () => {
  it("labels every service's traces with its environment", () => {
    const dir = generate(manifest({ ingress: "http" }, [["scorer", "tcp"], ["pricing", "uds"]]));
    for (const env of ENVIRONMENTS) {
      const maps = kustomize(dir, `overlays/${env}`).filter((o) => o.kind === "ConfigMap");
      const bare = (name: string) => name.replace(/-[a-z0-9]{10}$/, "");
      expect(maps.map((o) => bare(o.metadata.name)).sort()).toEqual(["orchestrator-config", "pricing-config", "scorer-config", "shared-telemetry"]);
      // Once, in the map every container reads (kubernetes-shared-telemetry.test.ts follows it into each).
      for (const o of maps) expect(o.data!.OTEL_RESOURCE_ATTRIBUTES, o.metadata.name).toBe(bare(o.metadata.name) === "shared-telemetry" ? `${OTEL_ENV_ATTRIBUTE}=${env}` : undefined);
    }
  });
});

describe.each([
  ["http", "tcp"],
  ["http", "uds"],
  ["sqs", "tcp"],
  ["kinesis", "uds"],
] as const)("images, %s × %s", (ingress, transport) => {
  // The deploy step that pins them (the README's `kustomize edit set image`) runs with the real kustomize in test/e2e/deploy-pin.test.ts.
  it("prod runs no image until the deploy step pins it, never :latest; dev runs :latest", () => {
    const dir = generate(manifest({ ingress }, [["scorer", transport], ["pricing", transport]]));
    const unpinned = containers(kustomize(dir, "overlays/prod"));
    expect(unpinned.map((c) => c.name).sort()).toEqual(["orchestrator", "pricing", "scorer"]);
    for (const c of unpinned) {
      // Until pinned, no valid reference: the pod fails at once rather than pull a tag that moves.
      expect(c.image, c.name).toMatch(new RegExp(`/${c.name}:${UNPINNED_TAG}$`));
      expect(c.imagePullPolicy, c.name).toBeUndefined();
    }
    for (const c of containers(kustomize(dir, "overlays/dev"))) expect(c.image, c.name).toMatch(new RegExp(`/${c.name}:${DEV_TAG}$`));
  });
});
