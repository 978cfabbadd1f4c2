import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { composeMemoryMib } from "../../src/render/compose.js";
import { serviceResources } from "../../src/render/resources.js";
import { JAEGER_TRACE_KIB, jaegerMaxTraces, PROMETHEUS_RETENTION } from "../../src/render/observability.js";

/**
 * Every compose service runs under a memory limit from one table
 * (compose.ts's composeMemoryMib): a service added to docker-compose.yml
 * without a mem_limit, or with one of its own, fails here. The two services
 * that keep what they are sent (Jaeger's memory store, Prometheus's TSDB) are
 * capped inside their limit by flags the pinned images take.
 */
const presets = [
  { ingress: "http", transports: ["tcp", "tcp"] },
  { ingress: "sqs", sink: "dynamodb", transports: ["uds", "tcp"] },
  { ingress: "kinesis", sink: "none", transports: ["tcp", "uds"] },
] as const;

type Service = { mem_limit?: string; command?: string[] };

describe.each(presets)("compose memory limits, $ingress", ({ transports, ...orchestrator }) => {
  const m = parseManifest({
    name: "risk-api",
    orchestrator: { module: "example.com/risk-api/orchestrator", ...orchestrator },
    workers: [{ name: "scorer", transport: transports[0] }, { name: "pricing", transport: transports[1] }],
  });
  const compose = parse(render(m).get("docker-compose.yml")!.content.toString("utf8"), { merge: true }) as { services: Record<string, Service> };
  const table = composeMemoryMib(m);

  it("gives every service the table's mem_limit, and the table names only services compose runs", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.mem_limit, `${name}'s mem_limit`).toMatch(/^\d+m$/);
      expect(table[name], `${name} in composeMemoryMib`).toBeGreaterThan(0);
      expect(service.mem_limit, name).toBe(`${table[name]}m`);
    }
    expect(Object.keys(table).sort()).toEqual(Object.keys(compose.services).sort());
  });

  it("gives the orchestrator and workers their pods' memory limit", () => {
    const mib = (q: string) => Number(/^(\d+)Mi$/.exec(q)![1]);
    expect(table.orchestrator).toBe(mib(serviceResources("orchestrator").limits.memory));
    for (const w of m.workers) expect(table[w.name], w.name).toBe(mib(serviceResources("worker").limits.memory));
  });

  it("caps Jaeger's memory store inside its limit", () => {
    const flag = "--set=extensions.jaeger_storage.backends.some_storage.memory.max_traces=";
    const set = compose.services.jaeger!.command!.find((a) => a.startsWith(flag));
    const maxTraces = Number(set?.slice(flag.length));
    expect(maxTraces).toBe(jaegerMaxTraces());
    expect(maxTraces).toBeGreaterThan(0);
    expect((maxTraces * JAEGER_TRACE_KIB) / 1024, "traces' MiB").toBeLessThan(table.jaeger!);
  });

  it("caps Prometheus's retained blocks inside its limit", () => {
    const command = compose.services.prometheus!.command!;
    expect(command).toContain(`--storage.tsdb.retention.size=${PROMETHEUS_RETENTION.sizeMb}MB`);
    // Prometheus's MB are MiB (base-2 units).
    expect(PROMETHEUS_RETENTION.sizeMb).toBeLessThan(table.prometheus!);
  });
});
