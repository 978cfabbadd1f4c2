import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { servedBy, wiringFaults } from "../../src/validate/wiring.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * What the manifests point at is what the processes serve (src/validate/wiring.ts), as kustomize
 * builds every overlay of every preset × transport × one or two workers: each
 * probe, scrape, Service, NetworkPolicy port and worker address lands on a
 * listener the container's own settings open (LISTEN_ADDR, OPS_LISTEN_ADDR,
 * METRICS_ADDR), an exec probe runs the binary the image installs, an HTTP
 * probe asks a path the orchestrator serves, and every selector and target
 * names something the overlay renders. A mismatch here builds, passes the
 * schemas and checkov, and only fails in a cluster.
 */
const PRESETS = {
  "http-stdlib": { ingress: "http", router: "stdlib" },
  "http-chi": { ingress: "http", router: "chi" },
  sqs: { ingress: "sqs", sink: "dynamodb" },
  kinesis: { ingress: "kinesis", sink: "dynamodb" },
} as const;
const cases = Object.entries(PRESETS).flatMap(([preset, orchestrator]) =>
  (["tcp", "uds"] as const).flatMap((transport) => [1, 2].map((workers) => ({ preset, orchestrator, transport, workers }))),
);

function generate(orchestrator: object, transport: string, workers: number): string {
  const dir = join(tempDir("chb-wiring-"), "repo");
  mkdirSync(dir);
  const names = ["scorer", "pricing"].slice(0, workers);
  writeTree(dir, render(parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator", ...orchestrator }, workers: names.map((name) => ({ name, transport })) })));
  return dir;
}

const build = (dir: string, overlay: string) => execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays", overlay)], { encoding: "utf8" });

describe.each(cases)("wiring, $preset × $transport × $workers worker(s)", ({ orchestrator, transport, workers }) => {
  const dir = generate(orchestrator, transport, workers);
  const served = servedBy(dir);

  it.each(["dev", "prod"])("%s: probes, scrapes, Services, policies and addresses land on what the containers serve", (overlay) => {
    expect(wiringFaults(build(dir, overlay), served)).toEqual([]);
  });

  it("compose probes a uds worker with the binary its image installs, as the cluster does", () => {
    const compose = parse(readFileSync(join(dir, "docker-compose.yml"), "utf8"), { merge: true }) as { services: Record<string, { healthcheck?: { test: string[] }; environment?: Record<string, string> }> };
    const probed = Object.entries(compose.services).filter(([, s]) => s.healthcheck?.test.includes("--probe"));
    expect(probed.length).toBe(transport === "uds" ? workers : 0);
    for (const [name, service] of probed) expect(service.healthcheck!.test[1], name).toBe(served.entrypoint(name));
  });
});

describe("wiring faults in an overlay a team edited", () => {
  const dir = generate(PRESETS["http-chi"], "tcp", 1);
  const served = servedBy(dir);
  const yaml = build(dir, "prod");

  it.each([
    ["the ops listener moved, the probes not", [/OPS_LISTEN_ADDR: 0\.0\.0\.0:(\d+)/, "OPS_LISTEN_ADDR: 0.0.0.0:9999"], /orchestrator\/orchestrator: containerPorts .* but listens on .*9999/],
    ["a probe asks a path nothing serves", [/path: \/readyz/, "path: /ready"], /readiness: \/ready is not served/],
    ["a Service aims at a port no container declares", [/targetPort: grpc/, "targetPort: grpc-tls"], /targetPort grpc-tls is no containerPort/],
  ] as const)("%s", (_what, [from, to], fault) => {
    expect(from.test(yaml), `the overlay has ${from}`).toBe(true);
    expect(wiringFaults(yaml.replace(from, to), served).join("\n")).toMatch(fault);
  });
});
