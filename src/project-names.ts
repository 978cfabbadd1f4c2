import { AWS_NAMES } from "./render/setting-rules.js";

/**
 * Every name the generated repo derives from the project name, with the
 * limit of the system that has to accept it. The renderers build these names
 * with the functions below, and the longest project name the manifest allows
 * is computed from them, so a longer prefix or suffix added here lowers the
 * limit by itself (and one added elsewhere is a bug in that place).
 */
interface DerivedName {
  /** The derived name for a project name. */
  of: (name: string) => string;
  /** The most characters its system accepts. */
  max: number;
  /** What it names, with the preset that has it when not every repo does: the name rule cites it to any repo. */
  what: string;
}

/** Kubernetes namespaces and label values: a DNS-1123 label. */
const DNS_LABEL = 63;
/** IAM role names (the overlays' IRSA role ARNs). */
const IAM_ROLE = 64;
/** SQS queue names, the dead-letter queue included. */
const SQS_QUEUE = AWS_NAMES.queue.max;
/** Kinesis stream names. */
const KINESIS_STREAM = AWS_NAMES.stream.max;
/** DynamoDB table names. */
const DYNAMODB_TABLE = AWS_NAMES.table.max;
/** What cmd/bootstrap adds to the queue's name for its dead-letter queue's. */
export const DEAD_LETTER_QUEUE_SUFFIX = "-dlq";

const queue = (name: string) => `${name}-requests`;

/**
 * The deploy environments, one kustomize overlay each. Each has AWS resources
 * of its own, so no overlay can consume another's queue. prod keeps the names
 * a project has always had (NAME-requests), as its namespace does, so a repo
 * that syncs this in points prod at the resources it already runs on; the
 * others are named as a project called NAME-ENV would name them
 * (NAME-dev-requests).
 */
export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const envProject = (name: string, env: Environment) => (env === "prod" ? name : `${name}-${env}`);
const longestEnvProject = (name: string) => ENVIRONMENTS.map((env) => envProject(name, env)).reduce((a, b) => (b.length > a.length ? b : a));

export const PROJECT_NAMES = {
  namespace: { of: (n) => n, max: DNS_LABEL, what: "the prod namespace and the app.kubernetes.io/part-of label" },
  devNamespace: { of: (n) => `${n}-dev`, max: DNS_LABEL, what: "the dev overlay's namespace" },
  devRole: { of: (n) => `${n}-dev-orchestrator`, max: IAM_ROLE, what: "a queue preset's dev IAM role" },
  prodRole: { of: (n) => `${n}-prod-orchestrator`, max: IAM_ROLE, what: "a queue preset's prod IAM role" },
  queue: { of: queue, max: SQS_QUEUE, what: "an sqs preset's queue" },
  // The Go bootstrap (cmd/bootstrap) names the dead-letter queue QUEUE-dlq.
  deadLetterQueue: { of: (n) => `${queue(n)}${DEAD_LETTER_QUEUE_SUFFIX}`, max: SQS_QUEUE, what: "an sqs preset's dead-letter queue" },
  envDeadLetterQueue: { of: (n) => `${queue(longestEnvProject(n))}${DEAD_LETTER_QUEUE_SUFFIX}`, max: SQS_QUEUE, what: "an sqs preset's dead-letter queue of an environment" },
  stream: { of: queue, max: KINESIS_STREAM, what: "a kinesis preset's stream" },
  leaseTable: { of: (n) => `${n}-leases`, max: DYNAMODB_TABLE, what: "a kinesis preset's lease table" },
  deadLetterTable: { of: (n) => `${n}-dead-letters`, max: DYNAMODB_TABLE, what: "a kinesis preset's dead-letter table" },
  resultsTable: { of: (n) => `${n}-results`, max: DYNAMODB_TABLE, what: "a dynamodb sink's results table" },
} satisfies Record<string, DerivedName>;

export const PROJECT_NAME_MIN = 2;

/** The longest project name whose every derived name fits its system. */
export const PROJECT_NAME_MAX = Math.min(...Object.values(PROJECT_NAMES).map((d: DerivedName) => d.max - d.of("").length));

/** The derived name that sets PROJECT_NAME_MAX, named in the rule so the limit explains itself. */
export const PROJECT_NAME_BOUND: string = Object.values(PROJECT_NAMES).find((d: DerivedName) => d.max - d.of("").length === PROJECT_NAME_MAX)!.what;
