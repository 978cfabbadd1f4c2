import type { Manifest } from "../manifest.js";
import type { SharedSetting } from "./settings.js";
import { WORKER_METRICS_PORT_OFFSET } from "./telemetry.js";

/**
 * Where telemetry goes and what each service is called in it: one place for
 * the names the smoke, compose, Kubernetes, Prometheus and the README use.
 */

/** The OpenTelemetry Collector's OTLP ports (its defaults): gRPC and HTTP/protobuf. */
export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;

export type OtlpProtocol = "grpc" | "http/protobuf";

/** The collector port that takes each OTEL_EXPORTER_OTLP_PROTOCOL. */
export const OTLP_PORTS: Readonly<Record<OtlpProtocol, number>> = { grpc: OTLP_GRPC_PORT, "http/protobuf": OTLP_HTTP_PORT };

/**
 * The protocol both services export with when OTEL_EXPORTER_OTLP_PROTOCOL is
 * unset: the specification's default, which the Go setup (telemetry.protocol)
 * and the Rust SDK both apply.
 */
export const OTLP_DEFAULT_PROTOCOL: OtlpProtocol = "http/protobuf";

/** What a service is called in traces (OTEL_SERVICE_NAME): the project's name, then the component's. */
export function otelServiceName(m: Manifest, component: string): string {
  return `${m.name}-${component}`;
}

/** The component of the queue presets' `cmd/produce`, whose PRODUCER span starts each message's trace. */
export const PRODUCER_COMPONENT = "produce";

/** A worker's metrics port beside its gRPC port (see WORKER_METRICS_PORT_OFFSET). */
export function workerMetricsPort(grpcPort: number): number {
  return grpcPort + WORKER_METRICS_PORT_OFFSET;
}

/**
 * The OTEL_* settings every deployed service shares: export to the collector
 * over gRPC. One ConfigMap holds them for all (Kubernetes: TELEMETRY_CONFIG),
 * so a change reaches every service at once.
 */
export function otelSharedEnv(collectorHost: string): [string, string][] {
  return [
    ["OTEL_EXPORTER_OTLP_ENDPOINT", `http://${collectorHost}:${OTLP_GRPC_PORT}`],
    ["OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"],
  ];
}

/**
 * The OpenTelemetry SDK's standard variables the orchestrator and the workers
 * honour (Setup in telemetry/tracing.go, the SDK and otel.rs). Not the orchestrator's
 * settings (config.go neither reads nor checks them: `OTEL_` is no prefix of
 * its own); listed so the README documents them beside the settings.
 */
export const OTEL_VARIABLES: readonly SharedSetting[] = [
  {
    name: "OTEL_EXPORTER_OTLP_ENDPOINT",
    default: "",
    doc: "unset: no export",
    run: "shared",
    meaning: "OTLP collector for traces (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` overrides it); unset, spans are not recorded and cost next to nothing, while an incoming `traceparent` still reaches the workers",
  },
  {
    name: "OTEL_EXPORTER_OTLP_PROTOCOL",
    default: OTLP_DEFAULT_PROTOCOL,
    doc: OTLP_DEFAULT_PROTOCOL,
    run: "shared",
    meaning: "grpc or http/protobuf (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` overrides it)",
  },
  { name: "OTEL_SERVICE_NAME", default: "orchestrator", doc: "`orchestrator`; a worker: its name", meaning: "the traces' `service.name`, over a `service.name` entry of `OTEL_RESOURCE_ATTRIBUTES`", run: "own" },
  {
    name: "OTEL_RESOURCE_ATTRIBUTES",
    default: "",
    doc: "unset",
    meaning: "more attributes of every span's resource, `key=value` pairs separated by commas (e.g. `deployment.environment=dev`); a `service.name` entry names the service where `OTEL_SERVICE_NAME` does not, as the OpenTelemetry specification orders them",
    run: "shared",
    ownEntry: { key: "service.name", use: "OTEL_SERVICE_NAME" },
  },
  { name: "OTEL_TRACES_SAMPLER", default: "parentbased_always_on", meaning: "the SDK's sampler; `parentbased_` ones follow an incoming `traceparent`'s decision", run: "shared" },
  { name: "OTEL_TRACES_SAMPLER_ARG", default: "", doc: "unset", meaning: "the sampler's argument: for `parentbased_traceidratio`, the share of new traces kept, 0 to 1", run: "shared" },
  { name: "OTEL_BSP_SCHEDULE_DELAY", default: "5000", meaning: "milliseconds between span batch exports; spans still buffered are flushed at shutdown, after the drain", run: "shared" },
  { name: "OTEL_SDK_DISABLED", default: "false", meaning: "`true` turns tracing off even with an endpoint set", run: "shared" },
  { name: "OTEL_TRACES_EXPORTER", default: "otlp", meaning: "`none` turns trace export off even with an endpoint set", run: "shared" },
];

/**
 * The sampler the prod overlay sets and `make bench`'s tracing overhead
 * measures (its `sampled` variant, beside always_on): 1 new trace in 100;
 * workers follow the orchestrator's decision through `traceparent`, as
 * `parentbased_` samplers do. At the 1,000 req/s a replica is sized for that
 * is about 10 traces/s a replica, where always_on would export every request.
 */
const SAMPLED_ONE_IN = 100;
export const SAMPLED_TRACES = { sampler: "parentbased_traceidratio", ratio: String(1 / SAMPLED_ONE_IN), oneIn: SAMPLED_ONE_IN } as const;
