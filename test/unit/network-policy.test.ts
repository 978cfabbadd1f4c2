import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { MONITORING_NAMESPACE } from "../../src/render/kubernetes.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * The NetworkPolicies as kustomize builds them, held to what the README's
 * Deploy section says of them: every ingress rule names who may connect,
 * except the HTTP API's, which the README says admits any client.
 */
interface Rule {
  from?: { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: { matchLabels: Record<string, string> } }[];
  ports: { port: string | number }[];
}
interface Policy {
  kind: string;
  metadata: { name: string };
  spec: {
    ingress?: Rule[];
    template?: { metadata: { annotations?: Record<string, string> }; spec: { containers: { ports?: { name: string; containerPort: number }[] }[] } };
  };
}

const cases = (["http", "sqs", "kinesis"] as const).flatMap((ingress) => (["tcp", "uds"] as const).map((transport) => ({ ingress, transport })));

describe.each(cases)("NetworkPolicies, $ingress × $transport", ({ ingress, transport }) => {
  const m = parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress },
    workers: [{ name: "scorer", transport }, { name: "pricing", transport }],
  });
  const dir = join(tempDir("chb-netpol-"), "repo");
  mkdirSync(dir);
  const tree = render(m);
  writeTree(dir, tree);
  const objects = parseAllDocuments(execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays/prod")], { encoding: "utf8" })).map((d) => d.toJS() as Policy);
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  const orchestrator = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "orchestrator")!.spec.template!;
  const orchestratorPorts = orchestrator.spec.containers[0]!.ports ?? [];
  const scraped = Number(orchestrator.metadata.annotations?.["prometheus.io/port"]);
  const readme = tree.get("README.md")!.content.toString("utf8");
  const hardening = /\*\*Hardening\*\*[\s\S]*?\n\n/.exec(readme)![0].replace(/\s+/g, " ");

  it("admits each port only from who the README says: the orchestrator to gRPC, the monitoring namespace to metrics, anyone to the HTTP API", () => {
    const open: string[] = [];
    for (const p of policies) {
      for (const rule of p.spec.ingress ?? []) {
        const ports = rule.ports.map((x) => x.port);
        if (!rule.from) {
          open.push(`${p.metadata.name}:${ports.join(",")}`);
          continue;
        }
        const [source] = rule.from;
        expect(rule.from, p.metadata.name).toHaveLength(1);
        if (ports.includes("grpc")) expect(source!.podSelector?.matchLabels, p.metadata.name).toEqual({ "app.kubernetes.io/name": "orchestrator" });
        else expect(source!.namespaceSelector?.matchLabels, `${p.metadata.name} ${ports.join(",")}`).toEqual({ "kubernetes.io/metadata.name": MONITORING_NAMESPACE });
      }
    }
    expect(open).toEqual(ingress === "http" ? ["orchestrator:http"] : []);
    expect(hardening.includes("admits any client")).toBe(open.length > 0);
    // What the open port serves, as the README tells it: /metrics only where Prometheus' annotation names that port.
    for (const rule of open) {
      const port = orchestratorPorts.find((p) => p.name === rule.split(":")[1])!.containerPort;
      expect(hardening).toContain(`HTTP port (its API${port === scraped ? " and `/metrics`" : ""}) admits any client`);
    }
    expect(hardening).toContain(`metrics ports (the orchestrator's ops port, \`/metrics\` and its health, among them) admit only namespace \`${MONITORING_NAMESPACE}\``);
    expect(hardening.includes("gRPC port admits only the orchestrator's pods")).toBe(transport === "tcp");
  });
});
