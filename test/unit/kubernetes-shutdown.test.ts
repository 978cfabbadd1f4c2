import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parseDocument } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { KUBE_SHUTDOWN_DELAY_SECS, ORCHESTRATOR_DRAIN_SECS, WORKER_DRAIN_SECS, orchestratorStopGraceSecs, workerStopGraceSecs } from "../../src/render/workers.js";
import { goDurationSecs, graceFaults } from "../../src/validate/grace.js";
import { configMaps, containerEnv, type EnvSource } from "../../src/validate/pod-env.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Every pod something routes to by its endpoints (a Service selects it) keeps
 * serving for the one cluster shutdown delay after it is told to stop, since
 * Kubernetes removes the endpoint as it signals the pod and whatever routes
 * there (kube-proxy, the headless Service's DNS, an ingress controller, the AWS
 * Load Balancer Controller's targets) follows later; its grace period holds
 * that delay and the drain after it. The orchestrator's delay is its
 * SHUTDOWN_DELAY; a tcp worker's, a preStop sleep (the kubelet runs it before
 * SIGTERM). A pod nothing routes to (a queue consumer) waits for nothing.
 */
interface Container extends EnvSource {
  name: string;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}
interface Obj {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec: {
    selector?: Record<string, string> | { matchLabels: Record<string, string> };
    template?: { metadata: { labels: Record<string, string> }; spec: { terminationGracePeriodSeconds?: number; containers: Container[] } };
  };
}

function generate(ingress: "http" | "sqs" | "kinesis", transport: "tcp" | "uds"): string {
  const dir = join(tempDir("chb-shutdown-"), "repo");
  mkdirSync(dir);
  const m = parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress },
    workers: [{ name: "scorer", transport }, { name: "pricing", transport }],
  });
  writeTree(dir, render(m));
  return dir;
}
const overlay = (dir: string) => join(dir, "deploy/kubernetes/overlays/prod");
const build = (dir: string) => execFileSync("kubectl", ["kustomize", overlay(dir)], { encoding: "utf8" });
const objects = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS() as Obj);

/** Seconds a container keeps serving after its pod is told to stop: its preStop sleep, or the orchestrator's SHUTDOWN_DELAY. */
function delaySecs(c: Container, maps: Map<string, Record<string, string>>): number {
  const sleep = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
  const setting = containerEnv(c, maps).SHUTDOWN_DELAY;
  return sleep + (setting === undefined ? 0 : goDurationSecs(setting)!);
}

const cases = (["http", "sqs", "kinesis"] as const).flatMap((ingress) => (["tcp", "uds"] as const).map((transport) => ({ ingress, transport })));

describe.each(cases)("stopping a pod, $ingress × $transport", ({ ingress, transport }) => {
  const dir = generate(ingress, transport);
  const objs = objects(build(dir));
  const maps = configMaps(objs);
  const services = objs.filter((o) => o.kind === "Service").map((o) => o.spec.selector as Record<string, string>);
  const deployments = objs.filter((o) => o.kind === "Deployment");
  const routed = (d: Obj) => services.some((sel) => Object.entries(sel).every(([k, v]) => d.spec.template!.metadata.labels[k] === v));

  it("every pod a Service routes to serves on for the cluster's shutdown delay; the others stop at once", () => {
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      const main = d.spec.template!.spec.containers[0]!;
      expect(delaySecs(main, maps), d.metadata.name).toBe(routed(d) ? KUBE_SHUTDOWN_DELAY_SECS : 0);
    }
    // Both kinds are here: the HTTP API behind its Service, each tcp worker behind its headless one.
    expect(deployments.filter(routed).map((d) => d.metadata.name).sort()).toEqual([...(ingress === "http" ? ["orchestrator"] : []), ...(transport === "tcp" ? ["pricing", "scorer"] : [])].sort());
  });

  it("each tcp worker's grace holds its delay, then its drain (SHUTDOWN_GRACE_SECS) and the steps after it", () => {
    for (const d of deployments.filter((o) => o.metadata.name !== "orchestrator")) {
      expect(d.spec.template!.spec.terminationGracePeriodSeconds, d.metadata.name).toBe(KUBE_SHUTDOWN_DELAY_SECS + workerStopGraceSecs(WORKER_DRAIN_SECS));
    }
    const orchestrator = deployments.find((o) => o.metadata.name === "orchestrator")!;
    expect(orchestrator.spec.template!.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(orchestratorStopGraceSecs(ORCHESTRATOR_DRAIN_SECS, ingress === "http" ? KUBE_SHUTDOWN_DELAY_SECS : 0));
  });

  it("the README says which pods wait, how long, and which load balancer that is sized for", () => {
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    const rolling = /\*\*Rolling out\.\*\*[\s\S]*?```/.exec(readme)![0].replace(/\s+/g, " ");
    const waiting = deployments.filter(routed).map((d) => d.metadata.name);
    if (waiting.length === 0) {
      expect(rolling).not.toContain("serves on for");
      return;
    }
    expect(rolling).toContain(`serves on for ${KUBE_SHUTDOWN_DELAY_SECS} s first`);
    expect(rolling).toContain("AWS Load Balancer Controller");
    for (const name of waiting) expect(rolling, name).toContain(`\`${name}\``);
    expect(rolling.includes("`preStop` hook")).toBe(transport === "tcp");
  });

  if (transport === "tcp") {
    it("validate refuses a worker's preStop sleep raised past its grace", () => {
      expect(graceFaults(build(dir))).toEqual([]);
      // A team's patch in the overlay, as any would add it.
      const file = join(overlay(dir), "kustomization.yaml");
      const kustomization = parseDocument(readFileSync(file, "utf8"));
      const patch = { target: { kind: "Deployment", name: "scorer" }, patch: "- op: replace\n  path: /spec/template/spec/containers/0/lifecycle/preStop/sleep/seconds\n  value: 60\n" };
      if (kustomization.has("patches")) kustomization.addIn(["patches"], patch);
      else kustomization.set("patches", [patch]);
      writeFileSync(file, kustomization.toString());
      expect(graceFaults(build(dir))).toEqual([expect.stringMatching(new RegExp(`^Deployment scorer: terminationGracePeriodSeconds \\d+ is shorter than the ${60 + workerStopGraceSecs()}s its drains take \\(scorer preStop sleep 60s`))]);
    });
  }
});
