import type { Manifest } from "../manifest.js";
import { GRPC_KEEPALIVE } from "./worker-server.js";
import { STOP_GRACE_MARGIN_SECS, WORKER_DRAIN_SECS, WORKER_MAX_DRAIN_SECS, type WorkerContext } from "./workers.js";
import type { ServiceSettings, SharedSetting } from "./settings.js";
import { whole } from "./setting-rules.js";

/**
 * worker-kit's config bounds (CPU_BUDGET_LIMIT, MAX_IN_FLIGHT_LIMIT,
 * KEEPALIVE_LIMIT_SECS), which the scripts' checks take from here; a unit test
 * (setting-rules) holds the Rust constants to these.
 */
export const WORKER_LIMITS = { cpuBudget: 1024, maxInFlight: 1_000_000, keepaliveSecs: 3600 } as const;

/** Every environment variable a Rust worker reads: its config.rs and README render from this table (settings.ts). */
export function workerSettings(worker: WorkerContext, m: Pick<Manifest, "deploy">): Omit<ServiceSettings, "settings"> & { settings: SharedSetting[] } {
  return {
    settings: [
      {
        name: "LISTEN_ADDR",
        default: `0.0.0.0:${worker.port}`,
        run: "placed",
        rule: { kind: "addr", ip: true, port0: true, unix: true, port: worker.port, want: `IP:PORT, e.g. 0.0.0.0:${worker.port}, or unix:///absolute/path.sock` },
        meaning: "`IP:PORT` to serve gRPC on; port `0` picks a free one (logged as `listening`); or `unix:///absolute/path.sock` for a sidecar (a stale socket is replaced, one another process still serves is refused, the socket is mode 0660 and removed at exit unless another worker has bound the path since; `WORKER --probe` checks its health there, for an exec probe)",
      },
      { name: "MODEL_PATH", default: "", doc: "embedded `model/model.json`", meaning: "model file to load instead of the one compiled in", run: "own" },
      {
        name: "CPU_BUDGET",
        default: "",
        doc: "the CPUs it may run on",
        rule: whole(1, WORKER_LIMITS.cpuBudget, "whole CPUs"),
        run: "shared",
        meaning:
          `whole CPUs the worker sizes itself for: its scoring threads, its async runtime's threads and the default \`MAX_IN_FLIGHT\`; unset, the CPUs it may run on, which without a CPU quota are all the machine's${m.deploy.includes("kubernetes") ? "; the Kubernetes manifests set it to the container's CPU request, rounded up" : ""}. The only one: rayon's \`RAYON_NUM_THREADS\` and tokio's \`TOKIO_WORKER_THREADS\` stop the worker at start, naming it`,
      },
      {
        name: "MAX_IN_FLIGHT",
        default: "",
        doc: "64 × `CPU_BUDGET`",
        rule: whole(1, WORKER_LIMITS.maxInFlight, "a whole number"),
        run: "shared",
        meaning:
          "most permits for scoring work queued or running: a `Score` call or up to 64 batch items takes one (a 1,000-item batch 16), charged by encoded size before the message is decoded and trued up after; within it an adaptive limit (gauge `scoring_admission_limit`) falls while calls take over three times their unloaded time; beyond the limit calls get `RESOURCE_EXHAUSTED` without being decoded",
      },
      {
        name: "SHUTDOWN_GRACE_SECS",
        default: String(WORKER_DRAIN_SECS),
        rule: whole(0, WORKER_MAX_DRAIN_SECS, "whole seconds"),
        run: "shared",
        meaning: `after SIGTERM/SIGINT, how long calls may drain before the worker exits anyway; whatever stops the worker should wait ${STOP_GRACE_MARGIN_SECS} s more before SIGKILL. A later SIGINT (Ctrl-C again) stops it at once, with exit status 130; a later SIGTERM is the same request and changes nothing (the root README, Stopping)`,
      },
      {
        name: "KEEPALIVE_INTERVAL_SECS",
        default: String(GRPC_KEEPALIVE.intervalSecs),
        rule: whole(1, WORKER_LIMITS.keepaliveSecs, "whole seconds"),
        run: "shared",
        meaning:
          "seconds a gRPC client connection may stay silent before the worker sends it an HTTP/2 PING (and, on TCP, before the kernel's first keepalive probe); a client that answers none within `KEEPALIVE_TIMEOUT_SECS` (one vanished without closing, a lost node or a dropped NAT entry) is disconnected and its calls' permits freed. The orchestrator pings its workers on the same period; tonic enforces no ping policy, so a client's pings never get GOAWAY `too_many_pings`",
      },
      {
        name: "KEEPALIVE_TIMEOUT_SECS",
        default: String(GRPC_KEEPALIVE.timeoutSecs),
        rule: whole(1, WORKER_LIMITS.keepaliveSecs, "whole seconds"),
        run: "shared",
        meaning: "seconds a client may take to answer the worker's keepalive PING before its connection is closed (on TCP also the gap between the kernel's keepalive probes, three of them)",
      },
      { name: "RUST_LOG", default: "info", meaning: `log filter, \`target=level\` directives such as \`info,worker_kit=debug\` (the code every worker shares)`, run: "shared" },
      {
        name: "METRICS_ADDR",
        default: `0.0.0.0:${worker.metricsPort}`,
        run: "shared",
        // An IP, as Rust's SocketAddr reads one: a name, or no host, stops the worker at start.
        rule: { kind: "addr", ip: true, port0: true, port: worker.metricsPort, want: `IP:PORT, e.g. 0.0.0.0:${worker.metricsPort}, or port 0 for a free one` },
        distinctPort: "LISTEN_ADDR",
        meaning: "`IP:PORT` serving Prometheus `/metrics` over HTTP (also for a `unix://` worker); port `0` picks a free one (logged as `metrics listening`)",
      },
    ],
    prefixes: ["MODEL_"],
    // The thread pools' own sizing variables: CPU_BUDGET sizes both pools and
    // the default MAX_IN_FLIGHT together, so either one would be overridden.
    retired: [
      { name: "RAYON_NUM_THREADS", use: "CPU_BUDGET" },
      { name: "TOKIO_WORKER_THREADS", use: "CPU_BUDGET" },
    ],
  };
}
