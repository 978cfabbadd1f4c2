import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { PROBES } from "../../src/render/probes.js";
import { render } from "../../src/render/index.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * The orchestrator's readiness follows the workers it calls (its /readyz; the
 * generated Go tests, ready_*_test.go, prove that side). That was chosen over
 * readiness of its own alone, and the choice holds only with what bounds its
 * cascade when a worker fails everywhere: liveness that never looks at the
 * workers, PodDisruptionBudgets that let unready pods go, and a README that
 * says so. These tests hold the manifests and the README to it.
 */
interface Probe { httpGet?: { path: string } }
interface Obj {
  kind: string;
  metadata: { name: string };
  spec: {
    unhealthyPodEvictionPolicy?: string;
    template?: { spec: { containers: { name: string; readinessProbe?: Probe; livenessProbe?: Probe; startupProbe?: Probe }[] } };
  };
}

const cases = (["http", "sqs", "kinesis"] as const).flatMap((ingress) => (["tcp", "uds"] as const).map((transport) => ({ ingress, transport })));

describe.each(cases)("readiness and the workers, $ingress × $transport", ({ ingress, transport }) => {
  const dir = join(tempDir("chb-ready-"), "repo");
  mkdirSync(dir);
  const m = parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress }, workers: [{ name: "scorer", transport }] });
  writeTree(dir, render(m));
  const objs = parseAllDocuments(execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays/prod")], { encoding: "utf8" })).map((d) => d.toJS() as Obj);
  const orchestrator = objs.find((o) => o.kind === "Deployment" && o.metadata.name === "orchestrator")!.spec.template!.spec.containers.find((c) => c.name === "orchestrator")!;

  it("gates readiness on /readyz, which follows the workers, and liveness on /healthz, which does not", () => {
    expect(orchestrator.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(orchestrator.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(orchestrator.startupProbe?.httpGet?.path).toBe("/healthz");
  });

  it("lets every PodDisruptionBudget evict unready pods, so a worker down everywhere never stalls a node drain", () => {
    const pdbs = objs.filter((o) => o.kind === "PodDisruptionBudget");
    expect(pdbs.map((p) => p.metadata.name)).toContain("orchestrator");
    for (const p of pdbs) expect(p.spec.unhealthyPodEvictionPolicy, p.metadata.name).toBe("AlwaysAllow");
  });

  it("says in the README why readiness follows the workers and what bounds the cascade", () => {
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    const section = /\*\*Readiness follows the workers, by choice\.\*\*[\s\S]*?\n\n/.exec(readme)?.[0].replace(/\s+/g, " ");
    expect(section, "README, Deploy: Readiness").toBeDefined();
    expect(section).toContain("every orchestrator pod turns unready at once");
    expect(section).toContain("liveness (`/healthz`) never looks at the workers");
    expect(section).toContain("`unhealthyPodEvictionPolicy: AlwaysAllow`");
    expect(section).toContain(`one readiness period (${PROBES.readiness.periodSeconds} s)`);
  });
});
