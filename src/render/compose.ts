import type { Manifest } from "../manifest.js";
import { GRAFANA_PORT, JAEGER_UI_PORT, PROMETHEUS_PORT } from "./observability.js";
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

const publish = (port: number) => `${PUBLISH_HOST}:${port}:${port}`;

/** What docker-compose.yml places: the ports it publishes and the addresses inside its network. */
export function composeContext(m: Manifest) {
  return {
    orchestratorListen: `0.0.0.0:${ORCHESTRATOR_PORT}`,
    orchestratorPort: ORCHESTRATOR_PORT,
    emulatorPort: EMULATOR_PORT,
    awsEndpoint: `http://moto:${EMULATOR_PORT}`,
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
