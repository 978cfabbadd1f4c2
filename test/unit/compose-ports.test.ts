import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { ORCHESTRATOR_PORT } from "../../src/render/settings.js";

/**
 * Compose's services are local development ones with no authentication (moto
 * takes any keys, Grafana admits anonymous viewers): a port published as a bare
 * "PORT:PORT" listens on 0.0.0.0, open to the network. Every published port is
 * on loopback, and each number is the one the rest of the repo uses for it.
 */
const presets = [{ ingress: "http" }, { ingress: "sqs", sink: "dynamodb" }, { ingress: "kinesis", sink: "none" }];

describe.each(presets)("compose's published ports, $ingress", (orchestrator) => {
  const m = parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ...orchestrator }, workers: [{ name: "scorer" }], ci: { providers: [] } });
  const tree = render(m);
  const text = (p: string) => tree.get(p)!.content.toString("utf8");
  const compose = parse(text("docker-compose.yml"), { merge: true }) as { services: Record<string, { ports?: string[]; environment?: Record<string, string> }> };
  const published = Object.entries(compose.services).flatMap(([service, s]) => (s.ports ?? []).map((spec) => ({ service, spec })));

  it("are every one bound to 127.0.0.1, host port = container port", () => {
    expect(published.length).toBeGreaterThan(0);
    for (const { service, spec } of published) expect(spec, service).toMatch(/^127\.0\.0\.1:(\d+):\1$/);
  });

  it("give the orchestrator the port its LISTEN_ADDR default and the README's curl use", () => {
    expect(compose.services.orchestrator!.ports).toEqual([`127.0.0.1:${ORCHESTRATOR_PORT}:${ORCHESTRATOR_PORT}`]);
    expect(compose.services.orchestrator!.environment!.LISTEN_ADDR).toBe(`0.0.0.0:${ORCHESTRATOR_PORT}`);
  });

  const aws = orchestrator.ingress !== "http";
  it(aws ? "put moto where make emulator's default AWS_ENDPOINT_URL (scripts/aws.sh) and the services' endpoint look" : "publish no AWS emulator (an HTTP repo calls no AWS service)", () => {
    if (!aws) {
      expect(compose.services.moto).toBeUndefined();
      return;
    }
    const local = /^LOCAL_AWS_ENDPOINT=http:\/\/127\.0\.0\.1:(\d+)$/m.exec(text("scripts/aws.sh"))![1];
    expect(compose.services.moto!.ports).toEqual([`127.0.0.1:${local}:${local}`]);
    expect(compose.services.orchestrator!.environment!.AWS_ENDPOINT_URL).toBe(`http://moto:${local}`);
  });
});

describe("the emulator's port", () => {
  it("is compose's one number, equal to scripts/aws.sh's (a static script)", async () => {
    const { EMULATOR_PORT } = await import("../../src/render/compose.js");
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress: "sqs" }, workers: [{ name: "scorer" }] }));
    expect(tree.get("scripts/aws.sh")!.content.toString("utf8")).toContain(`LOCAL_AWS_ENDPOINT=http://127.0.0.1:${EMULATOR_PORT}\n`);
  });
});
