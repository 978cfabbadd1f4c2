import type { Manifest } from "../manifest.js";
import { DEAD_LETTER_QUEUE_SUFFIX, PROJECT_NAMES } from "../project-names.js";
import { KUBE_SHUTDOWN_DELAY_SECS, ORCHESTRATOR_DRAIN_SECS, SUN_PATH_BYTES, UDS_STAGING_EXTRA, type WorkerContext } from "./workers.js";
import { INT64_MAX, awsName, contractCeiling, positiveDuration, whole, type SettingRule } from "./setting-rules.js";

/**
 * Every environment variable each generated service reads: the one table per
 * service. The orchestrator's config.go and each worker's config.rs render
 * their settings tables from it (parsing takes each default from there,
 * refuses retired names and warns of unknown ones in the service's namespaces), and both
 * READMEs render their Configuration tables from it, so code and docs cannot
 * disagree on a name or a default.
 */
export interface Setting {
  name: string;
  /** The default, in the variable's own syntax; "" when it is computed at start (see `doc`). */
  default: string;
  /** The README's "default" cell when the default is not a plain value. */
  doc?: string;
  meaning: string;
  /**
   * What the service accepts, as its parser reads it (setting-rules.ts); none:
   * free text (a name, a path, a filter) or an address the scripts place and
   * check themselves (run.sh).
   */
  rule?: SettingRule;
  /**
   * Another of the service's listen addresses, whose port this one may not take (port 0, a free
   * one, aside): the second bind failed at start, "address in use", naming neither setting.
   * Ports alone, whatever the hosts: distinct specific addresses could share one, which nothing
   * here needs, and every parser (config.go, worker-kit, the scripts) can compare ports alike
   * without resolving a name or reading the many spellings of one IPv6 address.
   */
  distinctPort?: string;
}

/**
 * The most synthetic requests `make produce N=` sends and `make wait-ready PROCESSED=` waits for:
 * produce builds every message in memory first. The scripts' check_count and the tools' -count
 * flag (internal/synthetic) refuse more.
 */
export const SYNTHETIC_COUNT_MAX = 1_000_000;

/** The most the queue consumers' counts take (CONCURRENCY, KINESIS_MAX_ATTEMPTS: config.go's count). */
export const QUEUE_COUNT_MAX = 1000;

/**
 * How `make run`, `make smoke` and `make bench`, which start every service
 * from one environment, hand out a setting that more than one service reads
 * (scripts/services.sh, which all three source, renders its table from these,
 * the README its text). `shared`: the variable reaches
 * every service that reads it, and its per-service name (`ORCHESTRATOR_VAR`,
 * `WORKER_<NAME>_VAR`) sets it for that service alone. `own`: one value would
 * be wrong for all at once (one model loaded into every worker, every service
 * under one name in traces), so only the per-service name sets it, make run
 * refuses the plain one, and a service given none keeps its own default.
 * `placed`: an address, which run.sh gives each service itself.
 */
export type RunScope = "shared" | "own" | "placed";

/** A setting more than one service reads: the OTEL_* variables, and every worker setting (there may be several workers). */
export interface SharedSetting extends Setting {
  run: RunScope;
  /**
   * A `shared` list of `key=value` entries in which one key would be wrong
   * for every service at once, as an `own` setting would: the plain name may
   * not hold it (the scripts refuse it, naming `use`, the own setting that
   * sets it per service).
   */
  ownEntry?: { key: string; use: string };
}

/** A name a service no longer reads (or a library's own variable it overrides), and the setting that does its job: naming it stops start-up. */
export interface Retired {
  name: string;
  use: string;
}

export interface ServiceSettings {
  settings: Setting[];
  /**
   * Prefixes the service owns: a variable starting with one that is not a
   * setting is most likely a typo, logged at start naming the closest setting
   * (not refused: Kubernetes' service links share the namespaces; the
   * orchestrator also takes each setting's first word for one). Only
   * distinctive prefixes: `make run` gives every service the same
   * environment, so a service must not claim the other's names.
   */
  prefixes: string[];
  retired: Retired[];
}

/**
 * The orchestrator's coalescer (COALESCE): calls to one worker out at once
 * when batches fill, and how many full batches may wait. Rendered into
 * workerclient/coalesce.go and the README's Coalescing section.
 */
export const COALESCE = { maxInFlight: 4, queueBatches: 2 } as const;

/**
 * The SQS consumer's CONCURRENCY default (receive-and-handle loops at once) and the most
 * messages one receive returns (SQS's own limit): their product is what one replica works on
 * at once, which KEDA's queueLength in deploy/kubernetes is derived from.
 */
export const SQS_CONCURRENCY = 20;
export const SQS_RECEIVE_MAX = 10;
/** Both, for the consumer's template (sqsconsumer/consumer.go, receive.go). */
export const SQS_RECEIVE = { concurrency: SQS_CONCURRENCY, receiveMax: SQS_RECEIVE_MAX } as const;

/** The orchestrator's default listen address (in a container); scripts/run.sh uses 127.0.0.1 on the same port. */
export const ORCHESTRATOR_PORT = 8080;
/** The HTTP orchestrator's ops port in the cluster (OPS_LISTEN_ADDR there): health, readiness and metrics off the public port. */
export const ORCHESTRATOR_OPS_PORT = 8081;

export function orchestratorSettings(m: Manifest, workers: readonly WorkerContext[]): ServiceSettings {
  const { ingress, sink } = m.orchestrator;
  const http = ingress === "http";
  const kube = m.deploy.includes("kubernetes");
  const rows: Setting[] = [
    { name: "LISTEN_ADDR", default: `:${ORCHESTRATOR_PORT}`, rule: listenRule(ORCHESTRATOR_PORT), meaning: `${http ? "HTTP listen address" : "ops listen address: health, readiness, metrics"} (\`make run\`: \`127.0.0.1:${ORCHESTRATOR_PORT}\`)` },
    ...(http
      ? [
          {
            name: "OPS_LISTEN_ADDR",
            default: "",
            doc: "unset: on `LISTEN_ADDR`",
            rule: listenRule(ORCHESTRATOR_OPS_PORT),
            distinctPort: "LISTEN_ADDR",
            meaning: `ops listen address: \`/healthz\`, \`/readyz\`, \`/metrics\`, off the API's port${kube ? ` (the Kubernetes manifests set \`0.0.0.0:${ORCHESTRATOR_OPS_PORT}\`)` : ""}; unset, the API's port serves them too`,
          },
        ]
      : []),
    ...workers.map((w) => ({
      name: w.env,
      default: `127.0.0.1:${w.port}`,
      meaning: `worker ${w.name}'s gRPC address (\`make run\` sets ${w.transport === "uds" ? "a Unix socket in a temp dir" : `\`127.0.0.1:${w.port}\``}${m.docker ? `, compose \`${w.composeAddr}\`` : ""}): \`host:port\`, \`dns:///name:port\` (a headless Service: every pod a replica), \`unix:///path.sock\` (its path at most ${SUN_PATH_BYTES.linux - 1 - UDS_STAGING_EXTRA} bytes on Linux, ${SUN_PATH_BYTES.macos - 1 - UDS_STAGING_EXTRA} on macOS: what a socket address holds, less its closing NUL and the worker\'s staging suffix), or a comma list of \`host:port\`/\`unix:///path\` replicas; calls go round robin to the replicas whose health is \`SERVING\``,
    })),
    { name: "REQUEST_TIMEOUT", default: "2s", rule: positiveDuration, meaning: "deadline for each call to a worker, retries included" },
    {
      name: "COALESCE",
      default: "on",
      rule: { kind: "choice", values: ["on", "off"] },
      meaning:
        "`on`: a single request goes to its worker at once while no call to it is in flight, and waits for the next shared `ScoreBatch` while one is (see Coalescing); `off`: every request is its own call",
    },
  ];
  if (http) {
    rows.push({
      name: "SHUTDOWN_DELAY",
      default: "0s",
      rule: { kind: "duration", minMs: 0, want: "a Go duration of 0 or more, such as 5s" },
      meaning: `after SIGTERM, how long the API goes on serving, \`/readyz\` answering 503, before it stops accepting and drains (\`SHUTDOWN_TIMEOUT\`): the time load balancers take to stop sending${kube ? `; the Kubernetes manifests set \`${KUBE_SHUTDOWN_DELAY_SECS}s\` and add it to the pod's grace period` : ""}`,
    });
    rows.push({
      name: "MAX_BODY_BYTES",
      default: "",
      doc: "the contract's ceiling",
      // At most the contract's ceiling, which Go computes from scoring.proto at start, and make gen
      // writes for the scripts, which check before any build.
      rule: { kind: "whole", min: 1, max: INT64_MAX, ceiling: contractCeiling("MAX_BODY_BYTES"), want: "a whole number of bytes from 1 to {ceiling}, the largest request scoring.proto allows in JSON" },
      meaning: "request body limit; may lower, never raise, the largest request scoring.proto allows (see Limits and retries)",
    });
    rows.push({
      name: "MAX_IN_FLIGHT_BYTES",
      default: "",
      doc: "1 MiB per core (GOMAXPROCS)",
      rule: whole(1, INT64_MAX, "a whole number of bytes"),
      meaning: "most request body bytes the scoring routes handle at once; within it an adaptive limit (gauge `orchestrator_admission_limit_bytes`, at least 256 KiB per core unless the worker refuses calls for load) falls while requests take over three times their unloaded time, and by a tenth for each call the worker refuses for load; a request past the limit gets 429 with `Retry-After` before its body is decoded, and one larger than the limit runs only when nothing else is in flight (see Limits and retries)",
    });
  }
  if (ingress === "sqs") {
    rows.push(
      {
        name: "SQS_QUEUE_NAME",
        default: PROJECT_NAMES.queue.of(m.name),
        // Handling is concurrent and dead letters carry no MessageGroupId (config_sqs.go).
        // Less the dead-letter queue's suffix: make bootstrap creates NAME plus it, which AWS must take too.
        rule: awsName("queue", DEAD_LETTER_QUEUE_SUFFIX.length, ` (a standard queue: FIFO queues are not supported; ${DEAD_LETTER_QUEUE_SUFFIX} is added for its dead-letter queue)`),
        meaning: `queue to consume (its URL is resolved); its dead-letter queue is the one its redrive policy names, read at start-up (\`make bootstrap\` creates it as this name with \`${DEAD_LETTER_QUEUE_SUFFIX}\`)`,
      },
      { name: "SQS_VISIBILITY_TIMEOUT", default: "30s", rule: { kind: "duration", minMs: 1000, maxMs: 12 * 3600 * 1000, wholeSecs: true, want: "whole seconds from 1s to 12h, e.g. 30s" }, meaning: "visibility per receive, whole seconds; extended while work is slow" },
      {
        name: "CONCURRENCY",
        default: String(SQS_CONCURRENCY),
        rule: whole(1, QUEUE_COUNT_MAX, "a whole number"),
        meaning: `batches of up to ${SQS_RECEIVE_MAX} messages handled at once${kube ? "; the Kubernetes manifests set it beside KEDA's `queueLength`, derived from it: raise both together" : ""}`,
      },
    );
  }
  if (ingress === "kinesis") {
    rows.push(
      { name: "KINESIS_STREAM_NAME", default: PROJECT_NAMES.stream.of(m.name), rule: awsName("stream"), meaning: "stream to consume" },
      { name: "LEASE_TABLE", default: PROJECT_NAMES.leaseTable.of(m.name), rule: awsName("table"), meaning: "DynamoDB table of shard leases and checkpoints (partition key `leaseKey`)" },
      { name: "LEASE_DURATION", default: "10s", rule: { kind: "duration", minMs: 1000, want: "a Go duration of at least 1s, e.g. 10s" }, meaning: "a lease not renewed for this long is taken over (renewed every third of it; at least 1s)" },
      { name: "KINESIS_MAX_ATTEMPTS", default: "10", rule: whole(1, QUEUE_COUNT_MAX, "a whole number"), meaning: "failures in a row before a shard's lease is released for another try" },
      {
        name: "KINESIS_INITIAL_POSITION",
        default: "TRIM_HORIZON",
        rule: { kind: "choice", values: ["TRIM_HORIZON", "LATEST"] },
        meaning:
          "where a shard with no checkpoint is first read: `TRIM_HORIZON`, every record the stream still holds (a first deploy against a stream in use handles its whole retention, 24 hours to 365 days); `LATEST`, the records added from the time its lease is created, by the service's clock (Delivery semantics). A checkpoint always wins, and a shard split or merged from one being read starts at `TRIM_HORIZON`, or at its parent's start while the parent has no record read, so nothing between the two is skipped",
      },
      { name: "DEAD_LETTER_TABLE", default: PROJECT_NAMES.deadLetterTable.of(m.name), rule: awsName("table"), meaning: "records that cannot be handled, with their payload (partition key `dead_letter_id`)" },
      {
        name: "DEAD_LETTER_RETENTION",
        default: "336h",
        rule: { kind: "duration", minMs: 1000, want: "a Go duration of at least 1s, e.g. 336h" },
        meaning: "how long a dead letter is kept: each item's `expires_at` (Unix seconds), on which `make bootstrap` turns the table's TTL on, so DynamoDB deletes it after that (within a few days); 336h is 14 days",
      },
    );
  }
  if (sink === "dynamodb") rows.push({ name: "DYNAMODB_TABLE", default: PROJECT_NAMES.resultsTable.of(m.name), rule: awsName("table"), meaning: "results table (partition key `id`, a string)" });
  rows.push(
    { name: "SHUTDOWN_TIMEOUT", default: `${ORCHESTRATOR_DRAIN_SECS}s`, rule: positiveDuration, meaning: http ? "how long in-flight requests may finish once the API stops accepting (after `SHUTDOWN_DELAY`)" : "how long in-flight work may finish after SIGTERM" },
    { name: "LOG_LEVEL", default: "info", rule: { kind: "level" }, meaning: "`debug`, `info`, `warn` or `error`" },
  );
  const prefixes = ["WORKER_"];
  if (ingress === "sqs") prefixes.push("SQS_");
  if (ingress === "kinesis") prefixes.push("KINESIS_");
  return {
    settings: rows,
    prefixes,
    retired: [
      // One worker used to be WORKER_ADDR; every worker now has its own variable.
      { name: "WORKER_ADDR", use: workers[0]!.env },
      // scripts/run.sh's own name for the listen address before it passed LISTEN_ADDR through.
      { name: "HTTP_LISTEN", use: "LISTEN_ADDR" },
      // Checkpoints live on the shard leases since the consumer group shares a stream.
      ...(ingress === "kinesis" ? [{ name: "CHECKPOINT_TABLE", use: "LEASE_TABLE" }] : []),
    ],
  };
}

/**
 * An orchestrator listen address: a name or an IP (or empty, every interface), and a
 * port others can be pointed at, never 0 (a free port nothing in front of it could find).
 */
function listenRule(port: number): SettingRule {
  return { kind: "addr", ip: false, port0: false, port, want: `HOST:PORT, PORT 1 to 65535, e.g. 127.0.0.1:${port} or :${port}` };
}
