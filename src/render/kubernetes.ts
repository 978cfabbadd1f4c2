import { DIGEST_RE } from "../manifest-pins.js";
import type { Manifest } from "../manifest.js";
import { HPA_CPU_UTILIZATION, NO_CPU_LIMIT_REASON, SCALE, serviceResources, sizingContext } from "./resources.js";
import { kubeWorker, orchestratorPodGraceSecs, type KubeWorker } from "./kube-workers.js";
import { orchestratorIam } from "./iam.js";
import { probesContext } from "./probes.js";
import { egressContext } from "./network-policy.js";
import { otelServiceName, otelSharedEnv, workerMetricsPort } from "./otel-env.js";
import { SAMPLED_TRACES } from "./otel-env.js";
import { ORCHESTRATOR_OPS_PORT, ORCHESTRATOR_PORT, SQS_CONCURRENCY, SQS_RECEIVE_MAX, orchestratorSettings } from "./settings.js";
import { ENVIRONMENTS, PROJECT_NAMES, envProject, type Environment } from "../project-names.js";
import { KUBE_SHUTDOWN_DELAY_SECS, ORCHESTRATOR_DRAIN_SECS, SOCKETS_DIR, WORKER_DRAIN_SECS, orchestratorStopGraceSecs, sidecarStopGraceSecs, socketAddr, workerStopGraceSecs, type WorkerContext } from "./workers.js";

/**
 * What the deploy/kubernetes templates see as `k8s`: every address, port,
 * image and figure derived here from the manifest, so the templates only
 * place them.
 */

// The orchestrator's main port is settings.ts's (config.go's LISTEN_ADDR default): one number.
export { ORCHESTRATOR_PORT };
export { SOCKETS_DIR };

/**
 * The namespace of the cluster's telemetry: the OpenTelemetry Collector pods
 * export to, and the Prometheus whose scrapes the NetworkPolicies admit to the
 * metrics ports (from no other namespace).
 */
export const MONITORING_NAMESPACE = "observability";

/**
 * Where pods send OTLP in a cluster: a Collector Service in the monitoring
 * namespace (the OpenTelemetry Operator's and Helm chart's usual home); point
 * OTEL_EXPORTER_OTLP_ENDPOINT elsewhere in an overlay if yours lives elsewhere.
 */
export const KUBE_COLLECTOR_HOST = `otel-collector.${MONITORING_NAMESPACE}.svc`;

/** KEDA's queueLength: the messages one orchestrator replica works on at once, CONCURRENCY batches of up to SQS_RECEIVE_MAX. */
export function sqsQueueLength(concurrency: number): number {
  return concurrency * SQS_RECEIVE_MAX;
}
/** Shards per replica for the kinesis-stream scaler: one consumer per shard at most. */
const KINESIS_SHARDS_PER_REPLICA = 1;
/** The dev overlay's replica floor: every field the base derives from SCALE.min (scaleFloors). */
export const DEV_SCALE_MIN = 1;
/**
 * KEDA's fallback when the scaler cannot read its metric: after this many
 * failed reads, keep the current replicas (never fewer than the floor), so an
 * IAM or AWS outage freezes the count instead of scaling on nothing.
 */
export const KEDA_FALLBACK = { failureThreshold: 3, replicas: SCALE.min } as const;
/**
 * Kubernetes' recommended labels (app.kubernetes.io/*, "Recommended Labels" in
 * its docs) beyond name, which the selectors use, and part-of (the project,
 * on every object): what tool manages the objects, which component each
 * service is, and, per overlay, the instance (its namespace). Never in a
 * selector: a Deployment's is immutable, so a new key there would fail every
 * apply over a running release.
 */
export const RECOMMENDED_LABELS = {
  managedBy: "kustomize",
  worker: "worker",
  orchestrator: { http: "api", sqs: "consumer", kinesis: "consumer" },
} as const;
/**
 * The Pod Security Standard the namespace holds every pod to, in each
 * admission mode: enforce rejects violating pods; warn and audit also check
 * workload templates, which enforce never sees (its rejection surfaces only as
 * a ReplicaSet's FailedCreate events, after the apply succeeded).
 */
export const POD_SECURITY = { level: "restricted", modes: ["enforce", "warn", "audit"] } as const;
/**
 * How fast every autoscaler (the HPAs, KEDA's) may take replicas away once
 * the stabilization window has passed: by default all the surplus in one
 * 15-second step, so a lull of a few minutes leaves the floor to take the
 * load's return while new pods start. A quarter a minute (or one pod, where
 * that is more) takes 10 to 2 over minutes. Scaling up keeps the defaults:
 * it should be fast.
 */
export const SCALE_DOWN = { stabilizationWindowSeconds: 300, percent: 25, pods: 1, periodSeconds: 60 } as const;
/** The region each overlay renders (AWS_REGION, which the KEDA trigger's awsRegion copies); an edit there changes both. */
export const DEFAULT_AWS_REGION = "us-east-1";

/**
 * The tag prod's images carry until the deploy step pins the commit CI
 * published and the digest its publish job recorded (`kustomize edit set image
 * NAME=IMAGE:SHA@DIGEST`, README, Rolling out).
 * Not a valid reference, so a forgotten pin fails at once (InvalidImageName,
 * no registry asked) instead of running whatever :latest holds.
 */
export const UNPINNED_TAG = "<commit-sha>";

/** The tag dev runs: the build CI pushes from main last (pulled on every pod start, the default for :latest). */
export const DEV_TAG = "latest";

/** The orchestrator settings that name an AWS resource: each environment sets its own (overlays/ENV/kustomization.yaml). */
const AWS_RESOURCE_SETTINGS = ["SQS_QUEUE_NAME", "KINESIS_STREAM_NAME", "LEASE_TABLE", "DEAD_LETTER_TABLE", "DYNAMODB_TABLE"] as const;

/** The OpenTelemetry resource attribute naming an environment (semantic conventions 1.27+). */
export const OTEL_ENV_ATTRIBUTE = "deployment.environment.name";

/**
 * The ConfigMap of the telemetry settings every container shares (the
 * collector's address in the base; each overlay's environment label and
 * sampling): one copy per environment, read by every pod through envFrom, so
 * no service can be left with an old value. Not `telemetry-config`: that is
 * worker `telemetry`'s own ConfigMap, while no worker's objects (NAME,
 * NAME-config; a name has no hyphen) can be called this.
 */
export const TELEMETRY_CONFIG = "shared-telemetry";

/** The AWS resource names an environment's orchestrator uses: the settings' defaults for the project envProject names. */
export function environmentResources(m: Manifest, workers: WorkerContext[], env: Environment) {
  return resourceSettings({ ...m, name: envProject(m.name, env) }, workers);
}

/** The AWS resource names of the orchestrator's setting defaults (one table: settings.ts), and those settings. */
function resourceSettings(m: Manifest, workers: WorkerContext[]) {
  const table = orchestratorSettings(m, workers).settings;
  const setting = (name: string) => table.find((s) => s.name === name)?.default ?? "";
  const names = {
    queueName: setting("SQS_QUEUE_NAME"),
    streamName: setting("KINESIS_STREAM_NAME"),
    leaseTable: setting("LEASE_TABLE"),
    deadLetterTable: setting("DEAD_LETTER_TABLE"),
    resultsTable: setting("DYNAMODB_TABLE"),
  };
  const settings = AWS_RESOURCE_SETTINGS.flatMap((name): [string, string][] => (table.some((s) => s.name === name) ? [[name, setting(name)]] : []));
  return { names, settings };
}

/**
 * What one overlay sets on top of the base: everything that must differ
 * between environments (namespace, IAM role, AWS resource names, the
 * telemetry's environment, image tags) and nothing else.
 */
function environmentContext(m: Manifest, workers: WorkerContext[], env: Environment, kube: KubeWorker[], orchestratorImage: string) {
  const queue = m.orchestrator.ingress !== "http";
  const { names, settings } = environmentResources(m, workers, env);
  const sampled: [string, string][] = env === "prod" ? [["OTEL_TRACES_SAMPLER", SAMPLED_TRACES.sampler], ["OTEL_TRACES_SAMPLER_ARG", SAMPLED_TRACES.ratio]] : [];
  const otel: [string, string][] = [["OTEL_RESOURCE_ATTRIBUTES", `${OTEL_ENV_ATTRIBUTE}=${env}`], ...sampled];
  const orchestratorLiterals: [string, string][] = [...(queue ? [["AWS_REGION", DEFAULT_AWS_REGION] as [string, string]] : []), ...settings];
  // KEDA reads the backlog the orchestrator consumes: each trigger field is copied (kustomize
  // replacements) from the orchestrator's setting this overlay sets, so an edit there moves both.
  const scalerFromConfig: { field: string; setting: string }[] =
    m.orchestrator.ingress === "sqs"
      ? [{ field: "queueURL", setting: "SQS_QUEUE_NAME" }, { field: "awsRegion", setting: "AWS_REGION" }]
      : m.orchestrator.ingress === "kinesis"
        ? [{ field: "streamName", setting: "KINESIS_STREAM_NAME" }, { field: "awsRegion", setting: "AWS_REGION" }]
        : [];
  const pinned = env === "prod";
  const tag = pinned ? UNPINNED_TAG : DEV_TAG;
  return {
    name: env,
    dev: env === "dev",
    // dev lowers the replica floors; a queue preset sets the environment's IAM role.
    patched: env === "dev" || queue,
    /** The orchestrator calls AWS: the overlay's service-account.yaml gives it this environment's role. */
    awsRole: queue,
    pinned,
    namespace: env === "dev" ? PROJECT_NAMES.devNamespace.of(m.name) : PROJECT_NAMES.namespace.of(m.name),
    role: env === "dev" ? PROJECT_NAMES.devRole.of(m.name) : PROJECT_NAMES.prodRole.of(m.name),
    iam: orchestratorIam(m, names),
    /** Its AWS resources, for the README: `NAME-dev-requests` in dev, `NAME-requests` in prod, ... */
    resourceList: settings.map(([, v]) => `\`${v}\``).join(", "),
    // The orchestrator's own (its AWS resources; none for http), then what every service shares, once.
    config: [
      ...(orchestratorLiterals.length > 0 ? [{ name: "orchestrator-config", literals: orchestratorLiterals }] : []),
      { name: TELEMETRY_CONFIG, literals: otel },
    ],
    scalerFromConfig,
    // Every image of every pod, sidecars included: an image left out would run the base's bare name.
    images: [{ name: "orchestrator", newName: orchestratorImage }, ...kube.map((w) => ({ name: w.name, newName: w.image }))].map((i) => ({ ...i, newTag: tag })),
  };
}

export type KubeEnvironment = ReturnType<typeof environmentContext>;

export function kubernetesContext(m: Manifest, workers: WorkerContext[]) {
  const queue = m.orchestrator.ingress !== "http";
  const kube = workers.map((w) => kubeWorker(m, w));
  const sidecars = kube.filter((w) => w.uds);
  // What a HorizontalPodAutoscaler scales (base/kustomization.yaml renders one for each): the README names these alone.
  const hpaTargets = [...(queue ? [] : ["orchestrator"]), ...kube.filter((w) => !w.uds).map((w) => w.name)];
  // Every field the base derives from the replica floor, by the autoscaler kind that holds it, which
  // the dev overlay lowers to DEV_SCALE_MIN: KEDA's fallback count too, or a dev backlog KEDA cannot
  // read (a dev role not set up yet) would scale dev up to prod's floor.
  // Only kinds present: kustomize applies a patch whose target matches nothing as a silent no-op.
  const scaleFloors = [
    ...(hpaTargets.length > 0 ? [{ kind: "HorizontalPodAutoscaler", fields: ["/spec/minReplicas"] }] : []),
    ...(queue ? [{ kind: "ScaledObject", fields: ["/spec/minReplicaCount", "/spec/fallback/replicas"] }] : []),
  ];
  const list = (names: string[]) => names.map((n) => `\`${n}\``).join(", ");
  // A queue consumer has no endpoints to leave (nothing routes to it; KEDA reads the queue), so only the API waits for them.
  const shutdownDelaySecs = queue ? 0 : KUBE_SHUTDOWN_DELAY_SECS;
  const shutdownDelay = `${shutdownDelaySecs}s`;
  // The API's health, readiness and metrics off its public port, as a queue consumer's ops port is the only one it has.
  const opsPort = queue ? ORCHESTRATOR_PORT : ORCHESTRATOR_OPS_PORT;
  const orchestratorConfig: [string, string][] = [
    ["LISTEN_ADDR", `0.0.0.0:${ORCHESTRATOR_PORT}`],
    ["LOG_LEVEL", "info"],
    // Shown here, beside the grace period derived from it: raise both together (validate checks they fit).
    ["SHUTDOWN_TIMEOUT", `${ORCHESTRATOR_DRAIN_SECS}s`],
    ...(queue ? [] : [["SHUTDOWN_DELAY", shutdownDelay] as [string, string]]),
    // Shown here, beside KEDA's queueLength derived from it: raise both together (validate checks they agree).
    ...(m.orchestrator.ingress === "sqs" ? [["CONCURRENCY", String(SQS_CONCURRENCY)] as [string, string]] : []),
    ...(queue ? [] : [["OPS_LISTEN_ADDR", `0.0.0.0:${opsPort}`] as [string, string]]),
    ...kube.map((w): [string, string] => [w.env, w.addr]),
    ["OTEL_SERVICE_NAME", otelServiceName(m, "orchestrator")],
  ];
  const orchestratorImage = `${m.ci.registry}/orchestrator`;
  const telemetryConfig = otelSharedEnv(KUBE_COLLECTOR_HOST);
  const otlpEndpoint = telemetryConfig[0]![1];
  const environments = Object.fromEntries(ENVIRONMENTS.map((env) => [env, environmentContext(m, workers, env, kube, orchestratorImage)])) as Record<Environment, KubeEnvironment>;
  // What bootstrap creates (compose) and your infrastructure code must (the cluster), in prose.
  const awsResources = [
    ...(m.orchestrator.ingress === "sqs" ? ["queue", "its dead-letter queue"] : []),
    ...(m.orchestrator.ingress === "kinesis" ? ["stream", "lease table", "dead-letter table"] : []),
    ...(m.orchestrator.sink === "dynamodb" ? ["results table"] : []),
  ];
  const awsResourcesText = awsResources.length > 1 ? `${awsResources.slice(0, -1).join(", ")} and ${awsResources.at(-1)}` : (awsResources[0] ?? "");
  return {
    version: m.toolchains.kubernetes,
    shutdownDelay,
    /** How long a pod a Service routes to serves on after it is told to stop (the README states it for all of them). */
    clusterShutdownDelaySecs: KUBE_SHUTDOWN_DELAY_SECS,
    /** The pods a Service routes to, which wait that long: the HTTP API, each tcp worker. */
    routedPods: list([...(queue ? [] : ["orchestrator"]), ...kube.filter((w) => !w.uds).map((w) => w.name)]),
    namespace: PROJECT_NAMES.namespace.of(m.name),
    devNamespace: PROJECT_NAMES.devNamespace.of(m.name),
    environments,
    // The settings' own defaults (config.go, compose); no environment uses them.
    ...resourceSettings(m, workers).names,
    otlpEndpoint,
    telemetryConfig: { name: TELEMETRY_CONFIG, literals: telemetryConfig },
    // Where the NetworkPolicies let the pods connect: DNS, that endpoint, and AWS for a queue preset.
    egress: egressContext(otlpEndpoint),
    socketsDir: SOCKETS_DIR,
    monitoringNamespace: MONITORING_NAMESPACE,
    region: DEFAULT_AWS_REGION,
    /** An image digest as the publish record holds it and the deploy step pins it (the manifest's DIGEST_RE, unanchored). */
    digestPattern: DIGEST_RE.source.replace(/^\^|\$$/g, ""),
    hpaCpu: HPA_CPU_UTILIZATION,
    sizing: sizingContext(),
    /** checkov's skip of CKV_K8S_11 for a pod with a container that has no CPU limit, and why. */
    noCpuLimitReason: NO_CPU_LIMIT_REASON,
    scale: SCALE,
    devScaleMin: DEV_SCALE_MIN,
    otelEnvAttribute: OTEL_ENV_ATTRIBUTE,
    podSecurity: POD_SECURITY,
    scaleDown: SCALE_DOWN,
    labels: { managedBy: RECOMMENDED_LABELS.managedBy, orchestrator: RECOMMENDED_LABELS.orchestrator[m.orchestrator.ingress], worker: RECOMMENDED_LABELS.worker },
    kedaFallback: KEDA_FALLBACK,
    hpaTargets,
    scaleFloors,
    awsResources: awsResourcesText,
    hpaList: list(hpaTargets),
    // tcp workers nothing routes to: one replica, no PodDisruptionBudget.
    idleList: list(kube.filter((w) => !w.uds && !w.routed).map((w) => w.name)),
    sidecarList: list(sidecars.map((w) => w.name)),
    // Every probe's figures, and the uds workers' own --probe deadline within each.
    probes: probesContext(),
    sqsQueueLength: sqsQueueLength(SQS_CONCURRENCY),
    sqsConcurrency: SQS_CONCURRENCY,
    sqsReceiveMax: SQS_RECEIVE_MAX,
    kinesisShardCount: KINESIS_SHARDS_PER_REPLICA,
    orchestrator: {
      image: orchestratorImage,
      port: ORCHESTRATOR_PORT,
      portName: queue ? "ops" : "http",
      /** Where the probes and Prometheus go: the HTTP API's own ops listener, or a consumer's one port. */
      opsPort,
      opsPortName: "ops",
      separateOps: opsPort !== ORCHESTRATOR_PORT,
      resources: serviceResources("orchestrator"),
      /** A container of its pod (itself or a sidecar) runs without a CPU limit: checkov's CKV_K8S_11 is skipped with the reason. */
      uncappedCpu: [serviceResources("orchestrator"), ...sidecars.map((w) => w.resources)].some((r) => r.limits.cpu === null),
      config: orchestratorConfig,
      /**
       * The pod's containers that must not get its AWS role (the EKS webhook's
       * eks.amazonaws.com/skip-containers): the sidecars, which call no AWS API. Empty
       * where the orchestrator has no role (http) or no sidecar shares its pod.
       */
      awsSkipContainers: queue ? sidecars.map((w) => w.name).join(",") : "",
      grace: orchestratorPodGraceSecs(orchestratorStopGraceSecs(ORCHESTRATOR_DRAIN_SECS, shutdownDelaySecs), sidecars),
    },
    workers: kube,
    tcpWorkers: kube.filter((w) => !w.uds),
    sidecars,
  };
}
