import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { POD_SECURITY, RECOMMENDED_LABELS } from "../../src/render/kubernetes.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Kubernetes' recommended labels on what each overlay builds: the project,
 * the managing tool and the instance on every object and pod; each service's
 * name and component on every object of that service (what `kubectl get all
 * -l app.kubernetes.io/name=orchestrator` lists); and none of them but name in
 * a selector, which a Deployment cannot change once applied. And the
 * namespace's Pod Security labels, in every admission mode.
 */
interface Obj {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    selector?: Record<string, unknown>;
    podSelector?: { matchLabels?: Record<string, string> };
    template?: { metadata: { labels: Record<string, string> } };
  };
}

const K = "app.kubernetes.io";
const cases = (["http", "sqs", "kinesis"] as const).flatMap((ingress) => (["tcp", "uds"] as const).map((transport) => ({ ingress, transport })));

describe.each(cases)("recommended labels, $ingress × $transport", ({ ingress, transport }) => {
  const m = parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress },
    workers: [{ name: "scorer", transport }, { name: "pricing", transport }],
  });
  const dir = join(tempDir("chb-labels-"), "repo");
  mkdirSync(dir);
  writeTree(dir, render(m));
  const component = (service: string) => (service === "orchestrator" ? RECOMMENDED_LABELS.orchestrator[ingress] : RECOMMENDED_LABELS.worker);

  it.each([
    ["dev", "risk-api-dev"],
    ["prod", "risk-api"],
  ])("%s: every object and pod names the project, kustomize and the instance; each service's objects its name and component", (overlay, namespace) => {
    const objs = parseAllDocuments(execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays", overlay)], { encoding: "utf8" })).map((d) => d.toJS() as Obj);
    const shared = { [`${K}/part-of`]: "risk-api", [`${K}/managed-by`]: RECOMMENDED_LABELS.managedBy, [`${K}/instance`]: namespace };
    // What belongs to no one service: the namespace, the ConfigMap every container reads, the namespace-wide policies.
    const namespaceWide = (o: Obj) => o.kind === "Namespace" || o.metadata.name.startsWith("shared-telemetry") || (o.kind === "NetworkPolicy" && Object.keys(o.spec?.podSelector?.matchLabels ?? {}).length === 0);
    const services = ["orchestrator", "scorer", "pricing"];
    for (const o of objs) {
      const where = `${o.kind} ${o.metadata.name}`;
      const labels = o.metadata.labels ?? {};
      expect(labels, where).toMatchObject(shared);
      if (namespaceWide(o)) continue;
      const service = labels[`${K}/name`];
      expect(services, `${where}: ${K}/name`).toContain(service);
      expect(o.metadata.name.startsWith(service!) || o.metadata.name === `orchestrator-to-${service}`, `${where} labelled ${service}`).toBe(true);
      expect(labels[`${K}/component`], where).toBe(component(service!));
      const template = o.spec?.template?.metadata.labels;
      if (template) expect(template, `${where} pods`).toMatchObject({ ...shared, [`${K}/name`]: o.metadata.name, [`${K}/component`]: component(o.metadata.name) });
      // Selectors keep the name alone: the other labels were added after Deployments were first applied.
      const selector = (o.spec?.selector?.matchLabels ?? o.spec?.selector ?? o.spec?.podSelector?.matchLabels) as Record<string, string> | undefined;
      if (selector) expect(Object.keys(selector), `${where} selector`).toEqual([`${K}/name`]);
    }
    // The Pod Security Standard in every mode: enforce alone checks pods only, so a Deployment
    // whose template violates it applies without a word and its ReplicaSet fails to create pods.
    const ns = objs.find((o) => o.kind === "Namespace")!.metadata.labels!;
    for (const mode of ["enforce", "warn", "audit"]) expect(ns[`pod-security.kubernetes.io/${mode}`], mode).toBe(POD_SECURITY.level);
    const named = (service: string) => objs.filter((o) => o.metadata.labels?.[`${K}/name`] === service).map((o) => o.kind);
    expect(named("orchestrator")).toEqual(expect.arrayContaining(["Deployment", "ServiceAccount", "PodDisruptionBudget", "ConfigMap", "NetworkPolicy", ingress === "http" ? "HorizontalPodAutoscaler" : "ScaledObject"]));
    if (transport === "tcp") expect(named("scorer")).toEqual(expect.arrayContaining(["Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler", "NetworkPolicy", "ConfigMap"]));
  });
});
