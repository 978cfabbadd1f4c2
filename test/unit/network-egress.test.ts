import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { BlockList, isIPv6 } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * The egress NetworkPolicies as kustomize builds them: where each pod may
 * connect, worked out the way a CNI does (the union of the rules of every
 * policy selecting it, nothing when one selects it and none allows), held to
 * what its work needs: DNS, the OTLP endpoint its ConfigMap sets, the
 * orchestrator's tcp workers on their gRPC port, and for a queue preset AWS
 * over HTTPS but never the instance metadata service.
 */
type Labels = Record<string, string>;
interface Peer { podSelector?: { matchLabels?: Labels }; namespaceSelector?: { matchLabels?: Labels }; ipBlock?: { cidr: string; except?: string[] } }
interface Rule { to?: Peer[]; ports?: { protocol?: string; port: number | string }[] }
interface Obj {
  kind: string;
  metadata: { name: string };
  data?: Labels;
  spec: {
    podSelector?: { matchLabels?: Labels };
    policyTypes?: string[];
    egress?: Rule[];
    selector?: { matchLabels: Labels };
    template?: { metadata: { labels: Labels }; spec: { containers: { ports?: { name: string; containerPort: number }[]; envFrom?: { configMapRef: { name: string } }[] }[]; initContainers?: { envFrom?: { configMapRef: { name: string } }[] }[] } };
  };
}

const pairs = (l: Labels = {}) => Object.entries(l).map(([k, v]) => `${k}=${v}`).sort().join(",");
const selects = (sel: Labels | undefined, pod: Labels) => Object.entries(sel ?? {}).every(([k, v]) => pod[k] === v);

function peerKey(p: Peer): string {
  if (p.ipBlock) return `ip:${p.ipBlock.cidr}-${(p.ipBlock.except ?? []).join(",")}`;
  const ns = p.namespaceSelector ? `ns:${pairs(p.namespaceSelector.matchLabels)}` : "";
  const pods = p.podSelector ? `pods:${pairs(p.podSelector.matchLabels)}` : "";
  return [ns, pods].filter(Boolean).join("/");
}

/**
 * Whether a CIDR holds an address, either family: node's BlockList does the
 * arithmetic (an address of one family is never in a block of the other).
 */
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const family = isIPv6(base!) ? "ipv6" : "ipv4";
  const list = new BlockList();
  list.addSubnet(base!, Number(bits), family);
  return isIPv6(ip) === (family === "ipv6") && list.check(ip, family);
}
/** Whether a pod with these egress rules may open a TCP connection to this address on this port. */
function reachesIp(rules: Rule[], ip: string, port: number): boolean {
  return rules.some(
    (r) => (r.ports ?? []).some((p) => p.port === port && (p.protocol ?? "TCP") === "TCP") && (r.to ?? []).some((t) => t.ipBlock && inCidr(ip, t.ipBlock.cidr) && !(t.ipBlock.except ?? []).some((e) => inCidr(ip, e))),
  );
}

const cases = (["http", "sqs", "kinesis"] as const).flatMap((ingress) => (["tcp", "uds"] as const).map((transport) => ({ ingress, transport })));

describe.each(cases)("egress NetworkPolicies, $ingress × $transport", ({ ingress, transport }) => {
  const queue = ingress !== "http";
  const m = parseManifest({
    name: "risk-api",
    orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress },
    workers: [{ name: "scorer", transport }, { name: "pricing", transport }],
  });
  const dir = join(tempDir("chb-egress-"), "repo");
  mkdirSync(dir);
  const tree = render(m);
  writeTree(dir, tree);
  const objs = parseAllDocuments(execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays/prod")], { encoding: "utf8" })).map((d) => d.toJS() as Obj);
  const policies = objs.filter((o) => o.kind === "NetworkPolicy" && o.spec.policyTypes?.includes("Egress"));
  const deployments = objs.filter((o) => o.kind === "Deployment");
  const configMap = (name: string) => objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith(`${name}-`))!.data!;

  const rulesOf = (pod: Labels) => policies.filter((p) => selects(p.spec.podSelector?.matchLabels, pod)).flatMap((p) => p.spec.egress ?? []);
  const allowed = (pod: Labels) =>
    new Set(rulesOf(pod).flatMap((r) => (r.to ?? []).filter((t) => !t.ipBlock).flatMap((t) => (r.ports ?? []).map((p) => `${peerKey(t)} ${p.protocol ?? "TCP"}/${p.port}`))));

  /** What a pod's containers need: DNS, and the collector each one's ConfigMaps (envFrom, the later winning) send traces to. */
  function needs(d: Obj): string[] {
    const pod = d.spec.template!.spec;
    const containers = [...pod.containers, ...(pod.initContainers ?? [])];
    const collectors = containers.map((c) => {
      const env = Object.assign({}, ...(c.envFrom ?? []).map((e) => configMap(e.configMapRef.name.replace(/-[a-z0-9]{10}$/, ""))));
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT, d.metadata.name).toBeDefined();
      const url = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT);
      return `ns:kubernetes.io/metadata.name=${url.hostname.split(".")[1]} TCP/${url.port}`;
    });
    return ["ns:kubernetes.io/metadata.name=kube-system/pods:k8s-app=kube-dns UDP/53", "ns:kubernetes.io/metadata.name=kube-system/pods:k8s-app=kube-dns TCP/53", ...collectors];
  }

  it("denies every pod's egress by default", () => {
    const deny = policies.filter((p) => Object.keys(p.spec.podSelector?.matchLabels ?? {}).length === 0 && !p.spec.egress);
    expect(deny.map((p) => p.metadata.name)).toEqual(["default-deny-egress"]);
  });

  it("lets each worker pod reach only DNS and its OTLP collector", () => {
    const workers = deployments.filter((d) => d.metadata.name !== "orchestrator");
    expect(workers.map((d) => d.metadata.name).sort()).toEqual(transport === "tcp" ? ["pricing", "scorer"] : []);
    for (const d of workers) {
      expect([...allowed(d.spec.template!.metadata.labels)].sort(), d.metadata.name).toEqual([...new Set(needs(d))].sort());
      expect(rulesOf(d.spec.template!.metadata.labels).some((r) => r.to?.some((t) => t.ipBlock)), d.metadata.name).toBe(false);
    }
  });

  it("lets the orchestrator's pod reach DNS, its collector and each tcp worker's gRPC port, nothing else in the cluster", () => {
    const orchestrator = deployments.find((d) => d.metadata.name === "orchestrator")!;
    const workers = deployments.filter((d) => d.metadata.name !== "orchestrator").map((d) => {
      const grpc = d.spec.template!.spec.containers[0]!.ports!.find((p) => p.name === "grpc")!.containerPort;
      // The Deployment's own selector: its pods and no other's.
      return `pods:${pairs(d.spec.selector!.matchLabels)} TCP/${grpc}`;
    });
    expect([...allowed(orchestrator.spec.template!.metadata.labels)].sort()).toEqual([...new Set([...needs(orchestrator), ...workers])].sort());
  });

  it(queue ? "lets the orchestrator reach AWS over HTTPS anywhere but the metadata service and Pod Identity's agent" : "gives the HTTP API no way out of the cluster", () => {
    const pod = deployments.find((d) => d.metadata.name === "orchestrator")!.spec.template!.metadata.labels;
    // A pod no egress policy selects may connect anywhere.
    expect(policies.some((p) => selects(p.spec.podSelector?.matchLabels, pod))).toBe(true);
    const rules = rulesOf(pod);
    // An SQS and an STS address (AWS's published ranges), then the same over IPv6 (a dual-stack
    // endpoint's, in AWS's 2600:1f00::/24), as a dual-stack or IPv6 cluster's pod reaches them.
    for (const ip of ["52.94.133.131", "54.239.29.25", "2600:1f18:4000::1", "2600:1f14:fff:f800::1"]) expect(reachesIp(rules, ip, 443), ip).toBe(queue);
    // The metadata service (the node's role) and EKS Pod Identity's agent, each at its IPv4 and
    // its IPv6 address, and the rest of IPv6's link-local range: never.
    for (const ip of ["169.254.169.254", "169.254.170.23", "fd00:ec2::254", "fd00:ec2::23", "fe80::1"]) for (const port of [80, 443]) expect(reachesIp(rules, ip, port), `${ip}:${port}`).toBe(false);
    for (const ip of ["52.94.133.131", "2600:1f18:4000::1"]) for (const port of [80, 22, 6443]) expect(reachesIp(rules, ip, port), `${ip} port ${port}`).toBe(false);
  });

  it("opens no address range in one IP family alone: a rule with an ipBlock holds both", () => {
    // A rule that opened only IPv4 (0.0.0.0/0) would leave a dual-stack or IPv6 cluster's pods
    // without the destination; both families in the same rule, with the same ports.
    for (const p of policies) {
      for (const r of p.spec.egress ?? []) {
        const blocks = (r.to ?? []).filter((t) => t.ipBlock).map((t) => t.ipBlock!);
        if (blocks.length === 0) continue;
        expect(new Set(blocks.map((b) => (isIPv6(b.cidr.split("/")[0]!) ? "IPv6" : "IPv4"))), p.metadata.name).toEqual(new Set(["IPv4", "IPv6"]));
      }
    }
  });

  it("says what the policies allow in the README's Hardening", () => {
    const readme = tree.get("README.md")!.content.toString("utf8");
    const hardening = /\*\*Hardening\*\*[\s\S]*?\n\n/.exec(readme)![0].replace(/\s+/g, " ");
    const endpoint = configMap("shared-telemetry").OTEL_EXPORTER_OTLP_ENDPOINT!;
    const url = new URL(endpoint);
    expect(hardening).toContain("They deny egress by default too: every pod reaches only the cluster's DNS (pods labelled `k8s-app=kube-dns` in `kube-system`, port 53 UDP and TCP)");
    expect(hardening).toContain(`namespace \`${url.hostname.split(".")[1]}\` on port ${url.port}, where \`shared-telemetry\` sends traces (\`${endpoint}\``);
    expect(hardening.includes("each tcp worker's pods on its gRPC port")).toBe(transport === "tcp");
    expect(hardening.includes("reaches AWS's APIs")).toBe(queue);
    expect(hardening.includes("instance metadata service")).toBe(queue);
  });
});
