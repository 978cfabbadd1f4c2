import type { Manifest } from "../manifest.js";
import { routedWorker } from "./workers.js";

/**
 * Which template tree lands where in the generated repo, and which generated
 * paths exist only for some choices. One table, so adding a component or an
 * option touches one place.
 */
export interface Component {
  /** Folder under templates/. */
  source: string;
  /** Folder in the generated repo ("" = root); `{worker}` makes it one copy per worker. */
  target: string;
}

/** Where every worker crate lives; the workspace is its parent folder. */
export const WORKERS_DIR = "workers";
export const PER_WORKER = "{worker}";
/** One copy per deploy environment (project-names.ts ENVIRONMENTS): the kustomize overlays. */
export const PER_ENV = "{env}";
/** The workspace's shared crates, beside the workers' folders (so no worker may take their names). */
export const WORKER_KIT = "worker-kit";
export const WORKER_MODEL = "worker-model";
export const SHARED_CRATES = [WORKER_KIT, WORKER_MODEL] as const;
/** A worker's model, in its folder: every worker gets the one templates/rust-worker ships, byte for byte (build.rs compiles it in). */
export const MODEL_FILE = "model/model.json";
/**
 * The version of every crate in the workspace (each takes it with
 * version.workspace): the path dependencies on the shared crates name it,
 * as cargo-deny's bans require, and Cargo.lock records it for each member.
 */
export const WORKSPACE_VERSION = "0.1.0";

export const COMPONENTS: readonly Component[] = [
  { source: "root", target: "" },
  { source: "proto", target: "proto" },
  { source: "go-orchestrator", target: "orchestrator" },
  { source: "rust-workspace", target: WORKERS_DIR },
  // What every worker shares, once: the server, shedding, telemetry and contract
  // (worker-kit), and the model engine each worker's build.rs compiles its model with
  // (worker-model), tested against the shipped model as its fixture.
  { source: "worker-kit", target: `${WORKERS_DIR}/${WORKER_KIT}` },
  { source: "worker-model", target: `${WORKERS_DIR}/${WORKER_MODEL}` },
  { source: "rust-worker/model", target: `${WORKERS_DIR}/${WORKER_MODEL}/testdata` },
  // Each worker keeps its folder when others are added, so adding one never moves files.
  { source: "rust-worker", target: `${WORKERS_DIR}/${PER_WORKER}` },
  { source: "ci", target: "" },
  // The deploy job's check and the KEDA CRD schemas it (and validate) hold the manifests to.
  { source: "deploy/kubernetes/check", target: "deploy/kubernetes" },
  { source: "deploy/kubernetes/base", target: "deploy/kubernetes/base" },
  // One template per overlay file: environments differ only in what kubernetes.ts derives for each.
  { source: "deploy/kubernetes/overlay", target: `deploy/kubernetes/overlays/${PER_ENV}` },
  // A tcp worker's own workload, Service, scaler and network rule; a uds worker is a sidecar in base/.
  { source: "deploy/kubernetes/worker", target: `deploy/kubernetes/base/${WORKERS_DIR}/${PER_WORKER}` },
];

const DOCKER_FILES = /(^|\/)(Dockerfile|docker-compose\.yml|\.dockerignore)$/;

/**
 * Orchestrator folders that exist only for some choices. Everything not
 * listed is shared (config, worker client, server, main).
 */
const queue = (m: Manifest) => m.orchestrator.ingress !== "http";
const BY_CHOICE: [RegExp, (m: Manifest) => boolean][] = [
  // cmd/gateway and its generated reverse proxy: the bench's grpc-gateway baseline for the HTTP API.
  [/^orchestrator\/(internal\/httpapi\/|cmd\/(smoke|gateway)\/|gen\/go\/.*\.pb\.gw\.go$)/, (m) => !queue(m)],
  // The API's server bounds, and the server's test of its paced body reads, which serves the API itself.
  [/^orchestrator\/internal\/server\/api(_pace_test)?\.go$/, (m) => !queue(m)],
  // The checks only the HTTP API makes (whole batches, protojson body limits).
  [/^orchestrator\/internal\/validation\/http(_[a-z]+)?\.go$/, (m) => !queue(m)],
  // The contract's limits for the scripts' MAX_BODY_BYTES check (an HTTP setting), and the buf plugin that writes them.
  [/^orchestrator\/(internal\/validation\/protoc-gen-limits\/|gen\/limits\/)/, (m) => !queue(m)],
  // The test of the results table's bound, for the sink that has one.
  [/^orchestrator\/internal\/sqsconsumer\/sink_dynamodb_test\.go$/, (m) => m.orchestrator.ingress === "sqs" && m.orchestrator.sink === "dynamodb"],
  [/^orchestrator\/internal\/sqsconsumer\//, (m) => m.orchestrator.ingress === "sqs"],
  [/^orchestrator\/internal\/kinesisconsumer\//, (m) => m.orchestrator.ingress === "kinesis"],
  // cmd/verify reads the results where the sink keeps them: one store file per sink.
  [/^orchestrator\/cmd\/verify\/store_dynamodb(_test)?\.go$/, (m) => queue(m) && m.orchestrator.sink === "dynamodb"],
  [/^orchestrator\/cmd\/verify\/store_log(_test)?\.go$/, (m) => queue(m) && m.orchestrator.sink === "none"],
  // The DynamoDB sink, for the sink that uses it: the orchestrator of another sink holds no code it cannot call.
  [/^orchestrator\/internal\/results\/(dynamodb(_test|_conflict_test)?|conflict)\.go$/, (m) => queue(m) && m.orchestrator.sink === "dynamodb"],
  // The log sink, for the sink that stores nothing.
  [/^orchestrator\/internal\/results\/log\.go$/, (m) => queue(m) && m.orchestrator.sink === "none"],
  // The orchestrator's settings: those of its ingress, of its sink, and the parser the queue ingresses share.
  [/^orchestrator\/internal\/config\/config_http(_test)?\.go$/, (m) => !queue(m)],
  [/^orchestrator\/internal\/config\/config_sqs(_test)?\.go$/, (m) => m.orchestrator.ingress === "sqs"],
  [/^orchestrator\/internal\/config\/config_kinesis(_test)?\.go$/, (m) => m.orchestrator.ingress === "kinesis"],
  [/^orchestrator\/internal\/config\/parse_queue\.go$/, queue],
  [/^orchestrator\/internal\/config\/sink_dynamodb(_test)?\.go$/, (m) => m.orchestrator.sink === "dynamodb"],
  [/^orchestrator\/internal\/config\/sink_none\.go$/, (m) => m.orchestrator.sink === "none"],
  // The orchestrator's results sink, one file per sink, each making it with newSink.
  [/^orchestrator\/cmd\/orchestrator\/sink_dynamodb\.go$/, (m) => queue(m) && m.orchestrator.sink === "dynamodb"],
  [/^orchestrator\/cmd\/orchestrator\/sink_none\.go$/, (m) => queue(m) && m.orchestrator.sink === "none"],
  // DynamoDB tables: the results table (sink dynamodb) and Kinesis' lease and dead-letter tables.
  [/^orchestrator\/internal\/awsenv\/table\.go$/, (m) => m.orchestrator.ingress === "kinesis" || (queue(m) && m.orchestrator.sink === "dynamodb")],
  // TTL on Kinesis' dead-letter table (bootstrap's, like table.go).
  [/^orchestrator\/internal\/awsenv\/ttl(_test)?\.go$/, (m) => m.orchestrator.ingress === "kinesis"],
  // The orchestrator's wiring, one file per ingress (its package doc and serve), and what the
  // queue ingresses share: the consumer's pipe, its readiness and the ops endpoints.
  [/^orchestrator\/cmd\/orchestrator\/(wire_http|ready_http_test|start_http_test|drain_http_test)\.go$/, (m) => !queue(m)],
  [/^orchestrator\/cmd\/orchestrator\/wire_sqs\.go$/, (m) => m.orchestrator.ingress === "sqs"],
  [/^orchestrator\/cmd\/orchestrator\/wire_kinesis\.go$/, (m) => m.orchestrator.ingress === "kinesis"],
  [/^orchestrator\/cmd\/orchestrator\/(consume|ready_queue_test|start_queue_test)\.go$/, queue],
  [/^orchestrator\/cmd\/verify\/deadletter_sqs\.go$/, (m) => m.orchestrator.ingress === "sqs"],
  [/^orchestrator\/cmd\/produce\/send_sqs\.go$/, (m) => m.orchestrator.ingress === "sqs"],
  [/^orchestrator\/cmd\/produce\/send_kinesis\.go$/, (m) => m.orchestrator.ingress === "kinesis"],
  [/^orchestrator\/cmd\/verify\/deadletter_kinesis\.go$/, (m) => m.orchestrator.ingress === "kinesis"],
  // The bad-input cases of the preset's own tools (smoke, or bootstrap, produce and verify).
  [/^orchestrator\/internal\/cmdline\/tools_http_test\.go$/, (m) => !queue(m)],
  [/^orchestrator\/internal\/cmdline\/tools_queue_test\.go$/, queue],
  // Draining a handler pool at shutdown: the SQS consumer's; Kinesis readers stop with their leases.
  [/^orchestrator\/internal\/pipeline\/drain(_test)?\.go$/, (m) => m.orchestrator.ingress === "sqs"],
  // The ops endpoints' handler serves every preset (the HTTP API's on OPS_LISTEN_ADDR); their counters are the consumers'.
  [/^orchestrator\/internal\/ops\/ops(_test)?\.go$/, () => true],
  // The Kinesis consumer's series (leases, shard lag), tested where they exist.
  [/^orchestrator\/internal\/ops\/metrics_kinesis_test\.go$/, (m) => m.orchestrator.ingress === "kinesis"],
  // The SQS consumer's series (acknowledgement failures by call), likewise.
  [/^orchestrator\/internal\/ops\/metrics_sqs_test\.go$/, (m) => m.orchestrator.ingress === "sqs"],
  [/^orchestrator\/(internal\/(results|awsenv|ops|pipeline|synthetic)|cmd\/(bootstrap|produce|verify))\//, queue],
  // Custom collectors (read when scraped) belong to the queue ingresses' ops metrics, plain
  // gauges to the HTTP API's admission limit: neither orchestrator holds the other's helper.
  [/^orchestrator\/internal\/telemetry\/collector\.go$/, queue],
  [/^orchestrator\/internal\/telemetry\/gauge\.go$/, (m) => !queue(m)],
  [/^scripts\/(emulator|aws)\.sh$/, queue],
  // The publish job's record of each push: only where there is a publish job (images and a CI).
  [/^scripts\/record-digest\.sh$/, (m) => m.docker && m.ci.providers.length > 0],
  // The local observability stack's configs go with the compose file that runs it.
  [/^observability\/(otel-collector\.yaml|prometheus\.yml|grafana-(datasource|dashboards)\.yaml)$/, (m) => m.docker],
  [/^deploy\/kubernetes\/base\/orchestrator-(service|hpa)\.yaml$/, (m) => !queue(m)],
  [/^deploy\/kubernetes\/base\/orchestrator-keda\.yaml$/, queue],
  // The AWS APIs' egress: only a queue preset calls AWS.
  [/^deploy\/kubernetes\/base\/orchestrator-egress-aws\.yaml$/, queue],
  [/^deploy\/kubernetes\/overlays\/[^/]+\/service-account\.yaml$/, queue],
];

/** deploy/kubernetes/base/workers/NAME/ exists only for a tcp worker. */
const KUBE_WORKER = new RegExp(`^deploy/kubernetes/base/${WORKERS_DIR}/([^/]+)/`);

/** Whether a generated path belongs in the repo for this manifest. */
export function includes(path: string, m: Manifest): boolean {
  if (DOCKER_FILES.test(path)) return m.docker;
  if (path.startsWith(".github/")) return m.ci.providers.includes("github");
  if (path === ".gitlab-ci.yml") return m.ci.providers.includes("gitlab");
  if (path.startsWith("deploy/kubernetes/")) {
    if (!m.deploy.includes("kubernetes")) return false;
    const worker = KUBE_WORKER.exec(path)?.[1];
    if (worker !== undefined) {
      const index = m.workers.findIndex((w) => w.name === worker && w.transport === "tcp");
      // A PodDisruptionBudget only for a worker the orchestrator calls: one nothing routes to runs a single replica.
      return index >= 0 && (!path.endsWith("/pdb.yaml") || routedWorker(m, index));
    }
  }
  const rule = BY_CHOICE.find(([re]) => re.test(path));
  return rule ? rule[1](m) : true;
}

/**
 * npm drops `.gitignore` (and mangles other dotfiles) from published
 * packages, so templates spell a leading dot as `dot-`.
 */
export function targetName(segment: string): string {
  return segment.startsWith("dot-") ? `.${segment.slice(4)}` : segment;
}
