import type { Manifest } from "../manifest.js";
import { COLLECTOR_HOST, COLLECTOR_MEMORY, GRAFANA_PORT, JAEGER_UI_PORT, PROMETHEUS_PORT, STACK_MEMORY_MIB } from "./observability.js";
import { serviceResources, type Service } from "./resources.js";
import { OTLP_GRPC_PORT, OTLP_HTTP_PORT } from "./otel-env.js";
import { ORCHESTRATOR_PORT } from "./settings.js";

/**
 * moto's port: `make emulator`'s default (scripts/aws.sh's LOCAL_AWS_ENDPOINT and
 * the README's, rendered from this) and compose's, so the host's
 * tools (make bootstrap, produce, verify) reach either emulator at one address.
 */
export const EMULATOR_PORT = 5000;

/**
 * Compose publishes every port on loopback only: these are local development
 * services with no authentication (moto takes any AWS keys, Grafana admits
 * anonymous viewers, the collector accepts any spans), and a bare "PORT:PORT"
 * publishes on 0.0.0.0, to the whole network, past a host firewall Docker bypasses.
 */
export const PUBLISH_HOST = "127.0.0.1";

/**
 * moto's and bootstrap's memory under compose, MiB. moto keeps every queue,
 * stream and table in memory, a development stack's few thousand messages;
 * bootstrap is a short-lived Go client.
 */
export const EMULATOR_MEMORY_MIB = { moto: 512, bootstrap: 64 } as const;

/** A Kubernetes memory quantity in Mi (resources.ts writes them so) as MiB. */
function mebibytes(quantity: string): number {
  const match = /^(\d+)Mi$/.exec(quantity);
  if (!match) throw new Error(`resources.ts: memory ${quantity} is not in Mi`);
  return Number(match[1]);
}

/** A service's memory limit in its pods (resources.ts, from make bench), MiB: compose gives it the same. */
const podMemoryMib = (service: Service) => mebibytes(serviceResources(service).limits.memory);

/**
 * Every compose service's memory limit (mem_limit), MiB, by service name: the
 * one table docker-compose.yml reads, so no service runs without one. The
 * orchestrator and workers get their pods' limit (a leak shows here as it
 * would in the cluster); the stack's services their own (observability.ts).
 * test/unit/compose-memory.test.ts holds every rendered service to it.
 */
export function composeMemoryMib(m: Manifest): Record<string, number> {
  return {
    ...Object.fromEntries(m.workers.map((w) => [w.name, podMemoryMib("worker")])),
    orchestrator: podMemoryMib("orchestrator"),
    ...(m.orchestrator.ingress === "http" ? {} : EMULATOR_MEMORY_MIB),
    [COLLECTOR_HOST]: COLLECTOR_MEMORY.containerMib,
    ...STACK_MEMORY_MIB,
  };
}

const publish = (port: number) => `${PUBLISH_HOST}:${port}:${port}`;

/** What docker-compose.yml places: the ports it publishes and the addresses inside its network. */
export function composeContext(m: Manifest) {
  return {
    orchestratorListen: `0.0.0.0:${ORCHESTRATOR_PORT}`,
    orchestratorPort: ORCHESTRATOR_PORT,
    emulatorPort: EMULATOR_PORT,
    awsEndpoint: `http://moto:${EMULATOR_PORT}`,
    memoryMib: composeMemoryMib(m),
    published: {
      orchestrator: publish(ORCHESTRATOR_PORT),
      ...(m.orchestrator.ingress === "http" ? {} : { moto: publish(EMULATOR_PORT) }),
      otlpGrpc: publish(OTLP_GRPC_PORT),
      otlpHttp: publish(OTLP_HTTP_PORT),
      jaeger: publish(JAEGER_UI_PORT),
      prometheus: publish(PROMETHEUS_PORT),
      grafana: publish(GRAFANA_PORT),
    },
  };
}
