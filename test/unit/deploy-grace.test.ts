import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { KUBE_SHUTDOWN_DELAY_SECS, ORCHESTRATOR_DRAIN_SECS, ORCHESTRATOR_STOP_MARGIN_SECS, SIDECAR_DRAIN_SECS, STOP_GRACE_MARGIN_SECS } from "../../src/render/workers.js";
import { splitDocs } from "../../src/validate/deploy.js";
import { goDurationSecs, graceFaults } from "../../src/validate/grace.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * terminationGracePeriodSeconds is derived from the default drains; the
 * settings live in the ConfigMaps, where an overlay can raise them. validate
 * (graceFaults, run on every built overlay) refuses a pod whose grace its own
 * settings outlast, so raising one without the other cannot pass silently.
 */
function generate(transport: "tcp" | "uds", ingress: "sqs" | "http" = "sqs"): string {
  const dir = join(tempDir("chb-grace-"), "repo");
  mkdirSync(dir);
  const m = parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress, ...(ingress === "sqs" ? { sink: "dynamodb" } : {}) },
    workers: [{ name: "scorer", transport }],
  });
  writeTree(dir, render(m));
  return dir;
}

const overlay = (dir: string, env = "prod") => join(dir, "deploy/kubernetes/overlays", env);
const build = (dir: string, env = "prod") => execFileSync("kubectl", ["kustomize", overlay(dir, env)], { encoding: "utf8" });

/**
 * Set one setting in an overlay's merge of a ConfigMap, as a team would: in
 * its block, or in a block of its own where the overlay has none (it sets
 * only what differs by environment, so no worker's).
 */
function raise(dir: string, configMap: string, setting: string) {
  const file = join(overlay(dir), "kustomization.yaml");
  const text = readFileSync(file, "utf8");
  const block = `  - name: ${configMap}\n    behavior: merge\n    literals:\n`;
  const at = text.indexOf(block);
  const [head, tail] = at > -1 ? [text.slice(0, at + block.length), text.slice(at + block.length)] : text.split(/(?<=^configMapGenerator:\n)/m).map((t, i) => (i === 0 ? `${t}${block}` : t));
  expect(tail, configMap).toBeDefined();
  writeFileSync(file, `${head}      - ${setting}\n${tail}`);
}

/** Patch the orchestrator pod's grace in the prod overlay, as a team would. */
function setGrace(dir: string, secs: number) {
  appendFileSync(
    join(overlay(dir), "kustomization.yaml"),
    `  - target:\n      kind: Deployment\n      name: orchestrator\n    patch: |-\n      - op: replace\n        path: /spec/template/spec/terminationGracePeriodSeconds\n        value: ${secs}\n`,
  );
}

/** The orchestrator pod's terminationGracePeriodSeconds in a built overlay. */
function podGrace(yaml: string): number {
  const pod = splitDocs(yaml).find((d) => d.kind === "Deployment" && /^ {2}name: orchestrator$/m.test(d.text))!;
  return Number(/terminationGracePeriodSeconds: (\d+)/.exec(pod.text)![1]);
}

describe("grace periods against the drains an overlay configures", () => {
  it.each(["tcp", "uds"] as const)("the generated overlays fit (workers %s)", (transport) => {
    const dir = generate(transport);
    for (const env of ["dev", "prod"]) expect(graceFaults(build(dir, env)), env).toEqual([]);
  });

  it("refuses a SHUTDOWN_TIMEOUT raised past the orchestrator's grace", () => {
    const dir = generate("tcp");
    raise(dir, "orchestrator-config", "SHUTDOWN_TIMEOUT=1m");
    expect(graceFaults(build(dir))).toEqual([expect.stringMatching(/^Deployment orchestrator: terminationGracePeriodSeconds \d+ is shorter than the 67s its drains take \(SHUTDOWN_TIMEOUT=1m\)/)]);
  });

  it("counts the HTTP API's SHUTDOWN_DELAY, which comes before its drain", () => {
    const dir = generate("tcp", "http");
    for (const env of ["dev", "prod"]) expect(graceFaults(build(dir, env)), env).toEqual([]);
    raise(dir, "orchestrator-config", "SHUTDOWN_DELAY=30s");
    expect(graceFaults(build(dir))).toEqual([expect.stringMatching(/^Deployment orchestrator: terminationGracePeriodSeconds \d+ is shorter than the 47s its drains take \(SHUTDOWN_DELAY=30s, SHUTDOWN_TIMEOUT=10s\)/)]);
  });

  it("refuses a tcp worker's SHUTDOWN_GRACE_SECS raised past its grace; a sidecar's needs none, as its one client has exited before it stops", () => {
    const uds = generate("uds");
    raise(uds, "scorer-config", "SHUTDOWN_GRACE_SECS=120");
    expect(graceFaults(build(uds))).toEqual([]);
    // What the pod's grace does hold: the orchestrator's stop, then the sidecar's; a second less is refused.
    const sidecarShare = SIDECAR_DRAIN_SECS + STOP_GRACE_MARGIN_SECS;
    expect(podGrace(build(uds))).toBe(ORCHESTRATOR_DRAIN_SECS + ORCHESTRATOR_STOP_MARGIN_SECS + sidecarShare);
    setGrace(uds, podGrace(build(uds)) - 1);
    expect(graceFaults(build(uds))).toEqual([expect.stringMatching(new RegExp(`^Deployment orchestrator: terminationGracePeriodSeconds \\d+ is shorter than the ${podGrace(build(generate("uds")))}s`))]);
    const tcp = generate("tcp");
    raise(tcp, "scorer-config", "SHUTDOWN_GRACE_SECS=120");
    // Its preStop sleep comes first: the kubelet counts the grace from the stop.
    expect(graceFaults(build(tcp))).toEqual([expect.stringMatching(new RegExp(`^Deployment scorer: .* ${KUBE_SHUTDOWN_DELAY_SECS + 120 + STOP_GRACE_MARGIN_SECS}s .*scorer SHUTDOWN_GRACE_SECS=120`))]);
  });

  it("accepts the raise once the grace follows it", () => {
    const dir = generate("tcp");
    raise(dir, "orchestrator-config", "SHUTDOWN_TIMEOUT=1m");
    setGrace(dir, 67);
    expect(graceFaults(build(dir))).toEqual([]);
  });

  it("reads Go durations as the orchestrator does", () => {
    expect([goDurationSecs("10s"), goDurationSecs("1m30s"), goDurationSecs("1.5h"), goDurationSecs("500ms"), goDurationSecs("10")]).toEqual([10, 90, 5400, 1, undefined]);
  });
});
