import type { Manifest } from "../manifest.js";
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
