import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { flagsLayer, toManifest } from "../../src/answers.js";
import { parseArgv } from "../../src/args.js";
import { parseManifest, type Manifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { DEV_SCALE_MIN, DEV_TAG, KEDA_FALLBACK, OTEL_ENV_ATTRIBUTE, UNPINNED_TAG } from "../../src/render/kubernetes.js";
import { PROBES } from "../../src/render/probes.js";
import { ORCHESTRATOR_OPS_PORT, ORCHESTRATOR_PORT } from "../../src/render/settings.js";
import { KUBE_SHUTDOWN_DELAY_SECS, ORCHESTRATOR_DRAIN_SECS, ORCHESTRATOR_STOP_MARGIN_SECS, SIDECAR_DRAIN_SECS, STOP_GRACE_MARGIN_SECS, WORKER_DRAIN_SECS } from "../../src/render/workers.js";
import { readCheckov, splitDocs } from "../../src/validate/deploy.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * deploy/kubernetes as kustomize builds it (the real kubectl kustomize), per
 * preset × transport: which objects exist, and the addresses that wire them.
 */
const PRESETS = {
  http: { ingress: "http" },
  sqs: { ingress: "sqs", sink: "dynamodb" },
  kinesis: { ingress: "kinesis", sink: "dynamodb" },
} as const;

function manifest(orchestrator: object, workers: [string, string][]): Manifest {
  return parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator", ...orchestrator },
    workers: workers.map(([name, transport]) => ({ name, transport })),
  });
}

interface Obj {
  kind: string;
  name: string;
  text: string;
}

function build(m: Manifest, overlay = "prod"): Obj[] {
  const dir = join(tempDir("chb-kube-"), "repo");
  mkdirSync(dir);
  writeTree(dir, render(m));
  const yaml = execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays", overlay)], { encoding: "utf8" });
  return splitDocs(yaml).map((d) => ({ kind: d.kind, name: /^metadata:\n(?: {2}.*\n)*? {2}name: (\S+)/m.exec(d.text)![1]!, text: d.text }));
}

const names = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind).map((o) => o.name.replace(/-[a-z0-9]{10}$/, "")).sort();
const one = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.name.startsWith(name))!.text;

describe.each(Object.entries(PRESETS))("kustomize build, %s", (preset, orchestrator) => {
  const queue = preset !== "http";

  it("tcp: each worker its own Deployment, headless Service, HPA, PDB and network rule", () => {
    const objs = build(manifest(orchestrator, [["scorer", "tcp"], ["pricing", "tcp"]]));
    expect(names(objs, "Deployment")).toEqual(["orchestrator", "pricing", "scorer"]);
    expect(names(objs, "Service")).toEqual(queue ? ["pricing", "scorer"] : ["orchestrator", "pricing", "scorer"]);
    expect(names(objs, "HorizontalPodAutoscaler")).toEqual(queue ? ["pricing", "scorer"] : ["orchestrator", "pricing", "scorer"]);
    // Under a queue ingress the consumer calls the primary alone: pricing, which nothing routes to, idles at one replica with no PDB.
    expect(names(objs, "PodDisruptionBudget")).toEqual(queue ? ["orchestrator", "scorer"] : ["orchestrator", "pricing", "scorer"]);
    const floor = (name: string) => (parse(one(objs, "HorizontalPodAutoscaler", name)) as { spec: { minReplicas: number } }).spec.minReplicas;
    expect([floor("scorer"), floor("pricing")]).toEqual(queue ? [2, 1] : [2, 2]);
    // Egress: network-egress.test.ts.
    const aws = queue ? ["orchestrator-egress-aws"] : [];
    expect(names(objs, "NetworkPolicy")).toEqual(["default-deny-egress", "default-deny-ingress", "egress-dns-and-telemetry", "orchestrator", ...aws, "orchestrator-to-pricing", "orchestrator-to-scorer", "pricing", "scorer"]);
    expect(one(objs, "Service", "scorer")).toMatch(/clusterIP: None/);
    expect(one(objs, "NetworkPolicy", "scorer")).toMatch(/from:\n\s+- podSelector:\n\s+matchLabels:\n\s+app.kubernetes.io\/name: orchestrator/);
    const config = one(objs, "ConfigMap", "orchestrator-config");
    expect(config).toContain("WORKER_SCORER_ADDR: dns:///scorer:50051");
    expect(config).toContain("WORKER_PRICING_ADDR: dns:///pricing:50052");
    expect(one(objs, "ConfigMap", "pricing-config")).toContain("LISTEN_ADDR: 0.0.0.0:50052");
    const worker = one(objs, "Deployment", "scorer");
    expect(worker).toMatch(new RegExp(`livenessProbe:\\n\\s+failureThreshold: ${PROBES.liveness.failureThreshold}\\n\\s+grpc:\\n\\s+port: 50051`));
    expect(worker).toContain(`image: ghcr.io/acme/risk-api/scorer:${UNPINNED_TAG}`);
    expect(one(objs, "Deployment", "orchestrator")).not.toContain("initContainers");
  });

  it("every PodDisruptionBudget lets unready pods go: a downstream outage leaves them all unready, and a drain must not stall on them", () => {
    for (const overlay of ["dev", "prod"]) {
      const pdbs = build(manifest(orchestrator, [["scorer", "tcp"], ["pricing", "tcp"]]), overlay).filter((o) => o.kind === "PodDisruptionBudget");
      expect(pdbs.length).toBeGreaterThan(0);
      for (const pdb of pdbs) expect((parse(pdb.text) as { spec: { unhealthyPodEvictionPolicy?: string } }).spec.unhealthyPodEvictionPolicy, pdb.name).toBe("AlwaysAllow");
    }
  });

  it("uds: workers are native sidecars in the orchestrator's pod; no worker Service, HPA, PDB or network rule", () => {
    const objs = build(manifest(orchestrator, [["scorer", "uds"], ["pricing", "uds"]]));
    expect(names(objs, "Deployment")).toEqual(["orchestrator"]);
    expect(names(objs, "Service")).toEqual(queue ? [] : ["orchestrator"]);
    expect(names(objs, "HorizontalPodAutoscaler")).toEqual(queue ? [] : ["orchestrator"]);
    expect(names(objs, "PodDisruptionBudget")).toEqual(["orchestrator"]);
    expect(names(objs, "NetworkPolicy")).toEqual(["default-deny-egress", "default-deny-ingress", "egress-dns-and-telemetry", "orchestrator", ...(queue ? ["orchestrator-egress-aws"] : [])]);
    const pod = one(objs, "Deployment", "orchestrator");
    const [from, to] = [pod.indexOf("initContainers:"), pod.indexOf("securityContext:\n        fsGroup")];
    expect(from).toBeGreaterThan(pod.indexOf("containers:"));
    expect(to).toBeGreaterThan(from);
    const sidecars = pod.slice(from, to);
    for (const name of ["scorer", "pricing"] as const) {
      expect(sidecars).toContain(`image: ghcr.io/acme/risk-api/${name}:${UNPINNED_TAG}`);
      // Probed over its own socket by the worker binary: no port is opened for the kubelet.
      expect(sidecars).toContain(`- /usr/local/bin/${name}\n            - --probe`);
      const config = one(objs, "ConfigMap", `${name}-config`);
      expect(config).toContain(`LISTEN_ADDR: unix:///sockets/${name}.sock`);
      expect(config).not.toContain("HEALTH_LISTEN_ADDR");
      expect(one(objs, "ConfigMap", "orchestrator-config")).toContain(`WORKER_${name.toUpperCase()}_ADDR: unix:///sockets/${name}.sock`);
    }
    expect(sidecars.match(/restartPolicy: Always/g)).toHaveLength(2);
    expect(sidecars).not.toContain("grpc:");
    expect(pod.match(/mountPath: \/sockets/g)).toHaveLength(3);
    expect(pod).toMatch(/emptyDir:\n\s+medium: Memory/);
    // The API's shutdown delay, the orchestrator's drain and the steps after it, then each sidecar's stop in turn: a probe's drain and its margin, no calls.
    const delay = queue ? 0 : KUBE_SHUTDOWN_DELAY_SECS;
    expect(pod).toContain(`terminationGracePeriodSeconds: ${delay + ORCHESTRATOR_DRAIN_SECS + ORCHESTRATOR_STOP_MARGIN_SECS + 2 * (SIDECAR_DRAIN_SECS + STOP_GRACE_MARGIN_SECS)}`);
    // The EKS webhook would hand the orchestrator's AWS role to every container of its pod; the workers call no AWS API.
    const annotations = (parse(pod) as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations;
    const skipped = annotations["eks.amazonaws.com/skip-containers"];
    if (queue) expect(skipped?.split(",").sort()).toEqual(["pricing", "scorer"]);
    else expect(skipped).toBeUndefined();
  });

  it("probes and scrapes the ops port: the HTTP API's own listener off its public port, a consumer's only one", () => {
    const objs = build(manifest(orchestrator, [["scorer", "tcp"]]));
    const pod = one(objs, "Deployment", "orchestrator");
    const ops = queue ? ORCHESTRATOR_PORT : ORCHESTRATOR_OPS_PORT;
    expect(pod).toMatch(new RegExp(`- containerPort: ${ops}\\n\\s+name: ops`));
    expect(pod).toContain(`prometheus.io/port: "${ops}"`);
    expect(pod.match(/port: ops\n/g)).toHaveLength(3); // startup, liveness, readiness
    const policy = one(objs, "NetworkPolicy", "orchestrator");
    expect(policy).toMatch(/ports:\n\s+- port: ops/);
    if (queue) {
      expect(one(objs, "ConfigMap", "orchestrator-config")).not.toContain("OPS_LISTEN_ADDR");
      return;
    }
    expect(one(objs, "ConfigMap", "orchestrator-config")).toContain(`OPS_LISTEN_ADDR: 0.0.0.0:${ORCHESTRATOR_OPS_PORT}`);
    expect(pod).toMatch(new RegExp(`- containerPort: ${ORCHESTRATOR_PORT}\\n\\s+name: http`));
    expect(policy).toMatch(/- ports:\n\s+- port: http/);
    expect(one(objs, "Service", "orchestrator")).toContain("targetPort: http");
  });

  it("scales on the part's own signal and authenticates by pod identity", () => {
    const objs = build(manifest(orchestrator, [["scorer", "tcp"]]));
    if (!queue) {
      expect(one(objs, "HorizontalPodAutoscaler", "orchestrator")).toMatch(/name: cpu/);
      expect(names(objs, "ScaledObject")).toEqual([]);
      expect(objs.find((o) => o.kind === "ServiceAccount" && o.name === "orchestrator")!.text).not.toContain("role-arn");
      return;
    }
    const scaled = one(objs, "ScaledObject", "orchestrator");
    if (preset === "sqs") {
      expect(scaled).toContain("type: aws-sqs-queue");
      expect(scaled).toContain('scaleOnInFlight: "true"');
      expect(scaled).toContain("queueURL: risk-api-requests");
    } else {
      expect(scaled).toContain("type: aws-kinesis-stream");
      expect(scaled).toContain("streamName: risk-api-requests");
    }
    // A backlog KEDA cannot read (IAM, an AWS outage) keeps the replicas that run instead of scaling on nothing.
    const fallback = (parse(scaled) as { spec: { fallback?: object; minReplicaCount: number } }).spec;
    expect(fallback.fallback).toEqual({ failureThreshold: KEDA_FALLBACK.failureThreshold, replicas: fallback.minReplicaCount, behavior: "currentReplicasIfHigher" });
    // dev's lower floor is its fallback's too: a dev backlog KEDA cannot read (its role not set up yet) must not scale dev up to prod's floor.
    const dev = (parse(one(build(manifest(orchestrator, [["scorer", "tcp"]]), "dev"), "ScaledObject", "orchestrator")) as { spec: { fallback: { replicas: number }; minReplicaCount: number } }).spec;
    expect(dev.minReplicaCount).toBe(DEV_SCALE_MIN);
    expect(dev.fallback.replicas).toBe(dev.minReplicaCount);
    expect(one(objs, "TriggerAuthentication", "orchestrator-aws")).toMatch(/podIdentity:\n\s+identityOwner: workload\n\s+provider: aws/);
    expect(objs.some((o) => /secretTargetRef|awsAccessKeyID|AWS_SECRET_ACCESS_KEY/.test(o.text))).toBe(false);
    expect(objs.find((o) => o.kind === "ServiceAccount" && o.name === "orchestrator")!.text).toMatch(/eks.amazonaws.com\/role-arn: arn:aws:iam::/);
    expect(one(objs, "ConfigMap", "orchestrator-config")).toContain("DYNAMODB_TABLE: risk-api-results");
    // The overlay's region reaches the process: the EKS webhook injects the cluster's into a container whose
    // own env names none, and env wins over envFrom, so the region must be in env (from the same ConfigMap).
    interface Env { name: string; valueFrom?: { configMapKeyRef?: { name: string; key: string } } }
    const pod = parse(one(objs, "Deployment", "orchestrator")) as { spec: { template: { spec: { containers: { name: string; env?: Env[] }[] } } } };
    const region = pod.spec.template.spec.containers.find((c) => c.name === "orchestrator")!.env?.find((e) => e.name === "AWS_REGION");
    const config = objs.find((o) => o.kind === "ConfigMap" && o.name.startsWith("orchestrator-config"))!;
    expect(region?.valueFrom?.configMapKeyRef).toEqual({ name: config.name, key: "AWS_REGION" });
    expect(config.text).toMatch(/^ {2}AWS_REGION: \S+$/m);
  });
});

describe("every pod", () => {
  const objs = build(manifest(PRESETS.http, [["scorer", "tcp"], ["pricing", "uds"]]), "dev");
  const pods = objs.filter((o) => o.kind === "Deployment");

  it("runs restricted: non-root 65532, read-only root, no capabilities, RuntimeDefault seccomp, no API token", () => {
    for (const { text } of pods) {
      const spec = (parse(text) as { spec: { template: { spec: { containers: unknown[]; initContainers?: unknown[] } } } }).spec.template.spec;
      expect(spec.containers.length + (spec.initContainers?.length ?? 0)).toBeGreaterThan(0);
      expect(text).toContain("runAsNonRoot: true");
      expect(text).toContain("runAsUser: 65532");
      expect(text).toMatch(/seccompProfile:\n\s+type: RuntimeDefault/);
      expect(text).toContain("automountServiceAccountToken: false");
      expect(text.match(/readOnlyRootFilesystem: true/g)!.length).toBe(text.match(/allowPrivilegeEscalation: false/g)!.length);
      expect(text.match(/drop:\n\s+- ALL/g)!.length).toBe(text.match(/readOnlyRootFilesystem: true/g)!.length);
      expect(text).toContain("topologySpreadConstraints");
      expect(text).toMatch(/requests:\n\s+cpu: \d+m\n\s+memory: \d+Mi/);
    }
  });

  it("skips checkov's checks only in the form checkov reads: ID=reason, with no other = (one fails the whole scan)", () => {
    const skips = pods.flatMap(({ text }) => Object.entries((parse(text) as { metadata: { annotations?: Record<string, string> } }).metadata.annotations ?? {}));
    const checkov = skips.filter(([key]) => key.startsWith("checkov.io/skip"));
    expect(checkov.length).toBeGreaterThan(0);
    for (const [key, value] of checkov) expect(value.split("="), `${key}: ${value}`).toHaveLength(2);
  });

  it("gets no service-link variables: the configs refuse unknown ones in their prefixes (WORKER_, SQS_, ...)", () => {
    const templates = objs.map((o) => (parse(o.text) as { spec?: { template?: { spec?: { enableServiceLinks?: boolean } } } }).spec?.template?.spec).filter((s) => s !== undefined);
    expect(templates).toHaveLength(pods.length);
    for (const spec of templates) expect(spec.enableServiceLinks).toBe(false);
  });

  it("probes every container with liveness strictly more tolerant than readiness, exec deadlines inside timeoutSeconds", () => {
    interface K8sProbe { timeoutSeconds?: number; failureThreshold?: number; periodSeconds?: number; exec?: { command: string[] } }
    interface Container { name: string; livenessProbe?: K8sProbe; readinessProbe?: K8sProbe; startupProbe?: K8sProbe }
    const specs = pods.map((o) => (parse(o.text) as { spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } } }).spec.template.spec);
    const containers = specs.flatMap((spec) => [...spec.containers, ...(spec.initContainers ?? [])]);
    // The orchestrator, the tcp worker and the uds sidecar.
    expect(containers.map((c) => c.name).sort()).toEqual(["orchestrator", "pricing", "scorer"]);
    // A sidecar has no readiness of its own (sidecar-probes.test.ts): the orchestrator's is what its liveness must outlast.
    const gate = specs.find((spec) => spec.initContainers)!.containers[0]!.readinessProbe!;
    for (const c of containers) {
      const [live, ready, start] = [c.livenessProbe!, c.readinessProbe ?? gate, c.startupProbe!];
      for (const probe of [live, ready, start]) {
        expect(probe.timeoutSeconds, c.name).toBeGreaterThan(1);
        const deadline = probe.exec?.command.at(-1);
        if (probe.exec) expect(probe.exec.command.at(-2)).toBe("--probe");
        if (deadline !== undefined) expect(Number(deadline), c.name).toBeLessThan(probe.timeoutSeconds! * 1000);
      }
      expect(live.timeoutSeconds!, c.name).toBeGreaterThan(ready.timeoutSeconds!);
      expect(live.failureThreshold!, c.name).toBeGreaterThan(ready.failureThreshold!);
      expect(live.failureThreshold! * live.periodSeconds!, c.name).toBeGreaterThan(ready.failureThreshold! * ready.periodSeconds!);
    }
  });

  it("lands in the overlay's namespace, dev at one replica minimum", () => {
    expect(objs.find((o) => o.kind === "Namespace")!.name).toBe("risk-api-dev");
    expect(one(objs, "HorizontalPodAutoscaler", "orchestrator")).toContain("minReplicas: 1");
  });

  it("mixes transports per worker: pricing is a sidecar, scorer has its own Deployment", () => {
    expect(names(objs, "Deployment")).toEqual(["orchestrator", "scorer"]);
    expect(one(objs, "Deployment", "orchestrator")).toContain("image: ghcr.io/acme/risk-api/pricing:latest");
  });
});

describe("terminationGracePeriodSeconds", () => {
  const grace = (text: string) => Number(/terminationGracePeriodSeconds: (\d+)/.exec(text)![1]);
  const orchestratorGrace = (workers: [string, string][]) => grace(one(build(manifest(PRESETS.sqs, workers)), "Deployment", "orchestrator"));

  it("covers the orchestrator's stop, then every sidecar's in turn: each added uds worker adds its own", () => {
    const worker = WORKER_DRAIN_SECS + STOP_GRACE_MARGIN_SECS;
    // Stopped after its one client has exited, a sidecar drains no calls: at most an exec probe still running.
    const sidecar = SIDECAR_DRAIN_SECS + STOP_GRACE_MARGIN_SECS;
    expect(SIDECAR_DRAIN_SECS).toBe(Math.ceil(Math.max(...Object.values(PROBES).map((p) => p.timeoutSeconds))));
    expect(sidecar).toBeLessThan(worker);
    const alone = orchestratorGrace([["scorer", "tcp"]]);
    expect(alone).toBe(ORCHESTRATOR_DRAIN_SECS + ORCHESTRATOR_STOP_MARGIN_SECS);
    expect(orchestratorGrace([["scorer", "uds"]])).toBe(alone + sidecar);
    expect(orchestratorGrace([["scorer", "uds"], ["pricing", "uds"]])).toBe(alone + 2 * sidecar);
    // A tcp worker stops in its own pod, its clients still running: it adds nothing to the orchestrator's, and its own
    // is the cluster's shutdown delay (its preStop sleep, while its Service's DNS and clients follow), its full drain and margin.
    const mixed = build(manifest(PRESETS.sqs, [["scorer", "uds"], ["pricing", "tcp"]]));
    expect(grace(one(mixed, "Deployment", "orchestrator"))).toBe(alone + sidecar);
    expect(grace(one(mixed, "Deployment", "pricing"))).toBe(KUBE_SHUTDOWN_DELAY_SECS + worker);
  });

  it("adds the HTTP API's SHUTDOWN_DELAY, which its ConfigMap sets, ahead of its drain; a queue consumer has none", () => {
    const http = build(manifest(PRESETS.http, [["scorer", "tcp"]]));
    const delay = Number(/SHUTDOWN_DELAY: (\d+)s\n/.exec(one(http, "ConfigMap", "orchestrator-config"))?.[1]);
    expect(delay).toBe(KUBE_SHUTDOWN_DELAY_SECS);
    expect(delay).toBeGreaterThan(0);
    expect(grace(one(http, "Deployment", "orchestrator"))).toBe(delay + orchestratorGrace([["scorer", "tcp"]]));
    expect(one(build(manifest(PRESETS.sqs, [["scorer", "tcp"]])), "ConfigMap", "orchestrator-config")).not.toContain("SHUTDOWN_DELAY");
  });
});

describe("deploy and transport choices", () => {
  const create = (argv: string[], config: object = {}) => toManifest({ ...config, ...flagsLayer(parseArgv(argv).values) }, "risk-api");

  it("default to kubernetes and tcp; --deploy none renders no deploy/", () => {
    const m = create([]);
    expect(m.deploy).toEqual(["kubernetes"]);
    expect(m.workers).toEqual([{ name: "scorer", transport: "tcp" }]);
    const none = create(["--deploy", "none"]);
    expect(none.deploy).toEqual([]);
    expect([...render(none).keys()].filter((p) => p.startsWith("deploy/"))).toEqual([]);
  });

  it("--transport sets every worker, the default one and those from --config", () => {
    expect(create(["--transport", "uds"]).workers).toEqual([{ name: "scorer", transport: "uds" }]);
    const m = create(["--transport", "uds"], { workers: [{ name: "scorer" }, { name: "pricing", transport: "tcp" }] });
    expect(m.workers.map((w) => w.transport)).toEqual(["uds", "uds"]);
  });

  it("name the field, the flag and what is allowed for a bad value", () => {
    expect(() => create(["--transport", "quic"])).toThrow(/workers\.0\.transport \(--transport\).*"quic".*allowed: tcp, uds/);
    expect(() => create(["--deploy", "ecs"])).toThrow(/deploy\.0 \(--deploy\).*"ecs".*give none, or a comma-separated list of kubernetes/);
  });
});

describe("deploy step parsing", () => {
  it("splits kustomize output by document, reading top-level apiVersion and kind only", () => {
    const docs = splitDocs("apiVersion: v1\nkind: Service\nspec:\n  kind: nested\n---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\n");
    expect(docs.map((d) => [d.apiVersion, d.kind])).toEqual([["v1", "Service"], ["keda.sh/v1alpha1", "ScaledObject"]]);
  });

  it("sums checkov's per-framework reports and lists each failure", () => {
    const report = (failed: number) => ({
      summary: { passed: 3, failed, skipped: 1 },
      results: { failed_checks: Array.from({ length: failed }, () => ({ check_id: "CKV_K8S_20", check_name: "no escalation", file_path: "/prod.yaml", resource: "Deployment.x" })) },
    });
    expect(readCheckov(JSON.stringify(report(0)))).toEqual({ passed: 3, failed: 0, skipped: 1, failures: [] });
    const both = readCheckov(JSON.stringify([report(0), report(1)]));
    expect(both).toMatchObject({ passed: 6, failed: 1, skipped: 2 });
    expect(both.failures).toEqual(["CKV_K8S_20 no escalation: Deployment.x (/prod.yaml)"]);
  });
});
