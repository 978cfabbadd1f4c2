import type { Manifest } from "../manifest.js";
import { OTLP_DEFAULT_PROTOCOL, OTLP_GRPC_PORT, OTLP_HTTP_PORT, OTLP_PORTS, otelServiceName, otelSharedEnv, PRODUCER_COMPONENT } from "./otel-env.js";
import { orchestratorMetrics, WORKER_METRICS, WORKER_METRICS_PORT_OFFSET, WORKER_PHASE_SPANS } from "./telemetry.js";
import { type WorkerContext } from "./workers.js";
import { ORCHESTRATOR_PORT } from "./kubernetes.js";

/**
 * The local observability stack compose runs beside the services (issue 13):
 * an OpenTelemetry Collector taking the services' OTLP, Jaeger showing the
 * traces, Prometheus scraping every /metrics, Grafana showing the dashboard.
 * Images pinned by version here, in one place (moto's is the manifest's
 * toolchains.moto, which `make emulator` installs too); the base images the
 * Dockerfiles build FROM are the ones pinned by digest in the manifest's `images`.
 */
/**
 * The OpenTelemetry Collector release compose runs (the contrib image's tag,
 * which follows the release without a leading v) and the one the tool's
 * config validator (src/validate/otelcol, go.mod) is built at, core and
 * contrib modules alike: test/unit/otelcol-validator.test.ts holds go.mod to it.
 */
export const COLLECTOR_RELEASE = "0.165.0";

export const STACK_IMAGES = {
  collector: `otel/opentelemetry-collector-contrib:${COLLECTOR_RELEASE}`,
  jaeger: "jaegertracing/jaeger:2.17.0",
  prometheus: "prom/prometheus:v3.16.0",
  grafana: "grafana/grafana:12.2.1",
} as const;

/**
 * The collector's memory under compose, one figure the rest derives from:
 * compose's mem_limit (the container's cgroup limit), and the memory_limiter's
 * limits in MiB. Not limit_percentage: that is a share of the cgroup's limit,
 * and with none set (compose's default) of the whole host's memory, so on a
 * 32 GiB laptop the collector could grow past 25 GiB before refusing a span.
 * The hard limit leaves the rest of the container for what the limiter does
 * not count (the Go runtime's own, the binary); the spike allowance is the
 * headroom between the soft limit, where it starts refusing, and the hard one.
 * GOMEMLIMIT, at the hard limit, has the Go GC work harder before the limiter
 * must refuse (the processor's README recommends setting both). 256 MiB holds
 * a development stack's traces many times over.
 */
export const COLLECTOR_MEMORY = { containerMib: 256, limitPercent: 80, spikePercent: 25 } as const;

/**
 * The rest of the stack's memory under compose (mem_limit), MiB, beside the
 * collector's above; compose.ts's composeMemoryMib puts every service's in one
 * table. Without a limit a container may take the whole host's memory, and two
 * of these keep everything they are sent: Jaeger's memory store holds every
 * trace until the process exits, and Prometheus every sample for 15 days.
 * Each is capped inside its limit (jaegerMaxTraces, PROMETHEUS_RETENTION).
 */
export const STACK_MEMORY_MIB = { jaeger: 512, prometheus: 512, grafana: 256 } as const;

/**
 * What one trace of this stack costs Jaeger's memory store, KiB, at most: a
 * request is a dozen spans (the orchestrator's, the gRPC client and server
 * spans, the worker's phases) of a few hundred bytes each once held as Go
 * values; 16 KiB over-counts it so the cap stays inside the limit.
 */
export const JAEGER_TRACE_KIB = 16;
/** The share of Jaeger's limit its traces may fill; the rest is the query service, the UI and the Go runtime. */
export const JAEGER_TRACES_PERCENT = 50;

/**
 * The in-memory store's cap on traces (extensions.jaeger_storage.backends.
 * some_storage.memory.max_traces of the all-in-one config the image runs
 * without --config, which caps it at 100000 traces, over 1.5 GiB at the
 * estimate above); the oldest go first.
 */
export function jaegerMaxTraces(): number {
  return Math.floor((STACK_MEMORY_MIB.jaeger * 1024 * JAEGER_TRACES_PERCENT) / 100 / JAEGER_TRACE_KIB);
}

/**
 * Prometheus's size-based retention (--storage.tsdb.retention.size), MB:
 * its blocks live on the container's disk, but the kernel charges the pages it
 * reads of them to the container's memory, so they are kept to half its limit
 * (the rest is the head block of the last two hours, a few MiB for a
 * development stack's series, and the query engine).
 */
export const PROMETHEUS_RETENTION = { sizeMb: Math.floor(STACK_MEMORY_MIB.prometheus / 2) } as const;

/** What the compose file and the collector's config see as `obs.collectorMemory`. */
export function collectorMemory() {
  const { containerMib, limitPercent, spikePercent } = COLLECTOR_MEMORY;
  const limitMib = Math.floor((containerMib * limitPercent) / 100);
  return { containerMib, limitMib, spikeMib: Math.floor((limitMib * spikePercent) / 100) };
}

/** Host ports of the stack's UIs (the images' defaults). */
export const JAEGER_UI_PORT = 16686;
export const PROMETHEUS_PORT = 9090;
export const GRAFANA_PORT = 3000;
/** The compose service the services export to. */
export const COLLECTOR_HOST = "otel-collector";
/** Where the observability files live in the generated repo (deploy/ is the cluster's alone). */
export const STACK_DIR = "observability";
/** The Grafana dashboard (always: it imports into any Grafana); the stack's configs beside it are compose's (docker only). */
export const DASHBOARD_PATH = `${STACK_DIR}/grafana-dashboard.json`;

/** What the compose file, the stack's configs and the README see as `obs`. */
export function observabilityContext(m: Manifest, workers: WorkerContext[]) {
  return {
    images: STACK_IMAGES,
    collectorMemory: collectorMemory(),
    jaegerMaxTraces: jaegerMaxTraces(),
    prometheusRetentionSize: `${PROMETHEUS_RETENTION.sizeMb}MB`,
    jaegerPort: JAEGER_UI_PORT,
    prometheusPort: PROMETHEUS_PORT,
    grafanaPort: GRAFANA_PORT,
    otlpGrpcPort: OTLP_GRPC_PORT,
    otlpHttpPort: OTLP_HTTP_PORT,
    // What a service exports with when nothing sets OTEL_EXPORTER_OTLP_PROTOCOL, and the port that takes it.
    otlpDefaultProtocol: OTLP_DEFAULT_PROTOCOL,
    otlpDefaultPort: OTLP_PORTS[OTLP_DEFAULT_PROTOCOL],
    stackDir: STACK_DIR,
    metricsPortOffset: WORKER_METRICS_PORT_OFFSET,
    /** A worker on a Unix socket still serves /metrics over TCP: the README says from which port, only where one exists. */
    udsWorkers: workers.some((w) => w.transport === "uds"),
    dashboardPath: DASHBOARD_PATH,
    // Compose's x-otel: the OTEL_* settings every service shares, written once
    // and merged into each service's environment; OTEL_SERVICE_NAME is its own.
    sharedEnv: otelSharedEnv(COLLECTOR_HOST),
    orchestratorService: otelServiceName(m, "orchestrator"),
    producerService: otelServiceName(m, PRODUCER_COMPONENT),
    // Compose's orchestrator serves /metrics on its LISTEN_ADDR (no OPS_LISTEN_ADDR there): config.go's default port.
    orchestratorTarget: `orchestrator:${ORCHESTRATOR_PORT}`,
    workers: workers.map((w) => ({
      name: w.name,
      // Ports as everywhere else (workers.ts), so the image's defaults, compose and the README agree.
      service: otelServiceName(m, w.name),
      // Its LISTEN_ADDR under compose: the socket the orchestrator dials, or the gRPC port on every interface.
      listenAddr: w.transport === "uds" ? w.composeAddr : `0.0.0.0:${w.port}`,
      metricsAddr: `0.0.0.0:${w.metricsPort}`,
      target: `${w.name}:${w.metricsPort}`,
    })),
    // For the README: every name comes from telemetry.ts (the RPC span names from telemetryContext).
    spans: { phases: WORKER_PHASE_SPANS },
    services: [otelServiceName(m, "orchestrator"), ...workers.map((w) => otelServiceName(m, w.name))],
    orchestratorMetrics: orchestratorMetrics(m),
    workerMetrics: WORKER_METRICS,
  };
}
