import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { SOCKETS_DIR } from "../../src/render/kubernetes.js";

/**
 * A worker with transport uds runs beside the orchestrator on a Unix socket
 * everywhere the repo runs it: compose (a shared named volume, both images as
 * the same non-root uid), make run and make smoke (a socket in a temp dir).
 * No Docker engine here, so the compose file is checked as parsed YAML.
 */
const repo = (ingress = "http") =>
  render(
    parseManifest({
      name: "risk-api",
      orchestrator: { module: "example.com/risk-api/orchestrator", ingress },
      workers: [
        { name: "scorer", transport: "uds" },
        { name: "pricing", transport: "tcp" },
      ],
    }),
  );

const text = (tree: ReturnType<typeof render>, path: string) => {
  const entry = tree.get(path);
  if (!entry) throw new Error(`${path} not rendered`);
  return entry.content.toString("utf8");
};

type Service = { environment: Record<string, string>; volumes?: string[]; healthcheck?: { test: string[]; timeout: string } };

describe.each(["http", "sqs"])("a uds worker beside a tcp one (ingress %s)", (ingress) => {
  const tree = repo(ingress);
  const compose = parse(text(tree, "docker-compose.yml"), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  const socket = `unix://${SOCKETS_DIR}/scorer.sock`;

  it("compose: the uds worker listens on a socket in a named volume it shares with the orchestrator", () => {
    const { scorer, pricing, orchestrator } = compose.services as Record<string, Service>;
    expect(Object.keys(compose.volumes ?? {})).toEqual(["sockets"]);
    expect(scorer!.environment.LISTEN_ADDR).toBe(socket);
    expect(scorer!.volumes).toEqual([`sockets:${SOCKETS_DIR}`]);
    expect(scorer!.healthcheck?.test.slice(0, 3)).toEqual(["CMD", "/usr/local/bin/scorer", "--probe"]);
    // The probe's own deadline ends before compose gives up on it.
    expect(Number(scorer!.healthcheck!.test[3])).toBeLessThan(Number.parseInt(scorer!.healthcheck!.timeout) * 1000);
    expect(orchestrator!.environment.WORKER_SCORER_ADDR).toBe(socket);
    expect(orchestrator!.volumes).toEqual([`sockets:${SOCKETS_DIR}`]);
    // The tcp worker is untouched: its own port, no volume.
    expect(pricing!.environment.LISTEN_ADDR).toBe("0.0.0.0:50052");
    expect(pricing!.volumes).toBeUndefined();
    expect(orchestrator!.environment.WORKER_PRICING_ADDR).toBe("pricing:50052");
  });

  it("Dockerfiles: both images run as the same non-root uid and own the socket directory", () => {
    const images = { orchestrator: text(tree, "orchestrator/Dockerfile"), scorer: text(tree, "workers/scorer/Dockerfile") };
    const uids = Object.values(images).map((d) => /^USER (\d+):(\d+)$/m.exec(d)?.slice(1));
    expect(uids[0]).toEqual(uids[1]);
    expect(Number(uids[0]![0])).toBeGreaterThan(0);
    for (const d of Object.values(images)) {
      expect(d).toContain(`--chown=${uids[0]![0]}:${uids[0]![1]} /sockets ${SOCKETS_DIR}`);
      expect(d).toMatch(/&& mkdir \/sockets\n/);
    }
    // A tcp worker's image has no socket directory.
    expect(text(tree, "workers/pricing/Dockerfile")).not.toContain("/sockets");
  });

  it("make run and make smoke put the uds worker on a socket in a temp dir", () => {
    const run = text(tree, "scripts/run.sh");
    expect(run).toContain("sockets=$(mktemp -d)");
    expect(run).toContain('start_worker scorer WORKER_SCORER_ADDR "unix://$sockets/scorer.sock"');
    expect(run).toContain("start_worker pricing WORKER_PRICING_ADDR 127.0.0.1:50052");
    const smoke = text(tree, "scripts/smoke.sh");
    expect(smoke).toContain("export WORKER_SCORER_ADDR=unix://$sockets/scorer.sock");
    expect(smoke).toContain("export WORKER_PRICING_ADDR=127.0.0.1:$((worker_port + 1))");
  });
});

describe("tcp workers only", () => {
  it("render no socket volume and no socket directory", () => {
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" } }));
    const compose = parse(text(tree, "docker-compose.yml"), { merge: true }) as { volumes?: unknown; services: Record<string, Service> };
    expect(compose.volumes).toBeUndefined();
    expect(compose.services.orchestrator!.volumes).toBeUndefined();
    expect(text(tree, "orchestrator/Dockerfile")).not.toContain("/sockets");
  });
});
