import nodePlop from "node-plop";
import type { Partial } from "./answers.js";
import { DEFAULT_NAME } from "./answers.js";
import {
  CI_PROVIDERS,
  INGRESS,
  MODULE_RULE,
  NAME_RULE,
  QUEUE_INGRESS,
  ROUTERS,
  SINKS,
  TRANSPORTS,
  defaultModule,
  goModulePath,
  projectName,
} from "./manifest.js";

/**
 * Interactive questions, loaded only on a TTY so `npm create` without prompts
 * never pays for inquirer. Choices and checks come from the manifest schema;
 * anything already given by a flag or --config is not asked again.
 */
export async function promptAnswers(
  given: Partial,
  dir: string | undefined,
  /** Why a project cannot go in this folder, if it cannot: checked as the name is typed, since it names the folder. */
  folderProblem: (folder: string) => string | undefined = () => undefined,
): Promise<{ answers: Partial; dir: string | undefined }> {
  const plop = await nodePlop();
  const askName = given.name === undefined && dir === undefined;
  const prompts = [
    askName && {
      type: "input",
      name: "name",
      message: "Project name",
      default: DEFAULT_NAME,
      validate: (v: string) => (projectName.safeParse(v).success ? (folderProblem(v) ?? true) : NAME_RULE),
    },
    given.orchestrator?.module === undefined && {
      type: "input",
      name: "module",
      message: "Go module path of the orchestrator",
      default: (a: { name?: string }) => defaultModule(a.name ?? given.name ?? baseName(dir)),
      validate: (v: string) => goModulePath.safeParse(v).success || MODULE_RULE,
    },
    given.orchestrator?.ingress === undefined && {
      type: "list",
      name: "ingress",
      message: "Ingress",
      choices: [
        { name: "http (JSON API over HTTP; each request scored and answered)", value: "http" },
        { name: "sqs (consume an SQS queue; poison messages go to a dead-letter queue)", value: "sqs" },
        { name: "kinesis (consume a Kinesis stream; shard leases and checkpoints kept in DynamoDB)", value: "kinesis" },
      ].filter((c) => (INGRESS as readonly string[]).includes(c.value)),
      default: "http",
    },
    given.orchestrator?.router === undefined && {
      type: "list",
      name: "router",
      when: (a: { ingress?: string }) => (a.ingress ?? given.orchestrator?.ingress ?? "http") === "http",
      message: "HTTP router",
      choices: [
        { name: "stdlib (net/http ServeMux patterns)", value: "stdlib" },
        { name: "chi (github.com/go-chi/chi/v5)", value: "chi" },
      ].filter((c) => (ROUTERS as readonly string[]).includes(c.value)),
      default: "stdlib",
    },
    given.orchestrator?.sink === undefined && {
      type: "list",
      name: "sink",
      message: "Results sink",
      when: (a: { ingress?: string }) => QUEUE_INGRESS.includes(a.ingress ?? given.orchestrator?.ingress ?? "http"),
      choices: [
        { name: "dynamodb (one item per request id, idempotent writes)", value: "dynamodb" },
        { name: "none (log results only)", value: "none" },
      ].filter((c) => (SINKS as readonly string[]).includes(c.value)),
      default: "dynamodb",
    },
    given.ci?.providers === undefined && {
      type: "checkbox",
      name: "ci",
      // An empty selection is a valid answer (no CI); the message says so
      // because inquirer shows nothing after the question when none is picked.
      message: "CI providers (none selected = no CI)",
      choices: CI_PROVIDERS.map((p) => ({ name: p, value: p, checked: p === "github" })),
    },
    given.transport === undefined && {
      type: "list",
      name: "transport",
      message: "Worker transport",
      choices: [
        { name: "tcp (each worker its own Deployment behind a Service; scales on its own)", value: "tcp" },
        { name: "uds (sidecar in the orchestrator's pod, gRPC over a Unix socket; no network hop)", value: "uds" },
      ].filter((c) => (TRANSPORTS as readonly string[]).includes(c.value)),
      default: "tcp",
    },
    given.deploy === undefined && {
      type: "confirm",
      name: "kubernetes",
      message: "Kubernetes manifests (kustomize, deploy/kubernetes)",
      default: true,
    },
    given.docker === undefined && {
      type: "confirm",
      name: "docker",
      message: "Dockerfiles and compose",
      default: true,
    },
  ].filter(Boolean);

  const generator = plop.setGenerator("create", { description: "new project", prompts: prompts as never, actions: [] });
  const raw = (await generator.runPrompts()) as Record<string, unknown>;

  const answers: Partial = {};
  if (typeof raw.name === "string") answers.name = raw.name;
  const orchestrator: NonNullable<Partial["orchestrator"]> = {};
  for (const key of ["module", "ingress", "router", "sink"] as const) {
    if (typeof raw[key] === "string") orchestrator[key] = raw[key] as string;
  }
  if (Object.keys(orchestrator).length) answers.orchestrator = orchestrator;
  if (Array.isArray(raw.ci)) answers.ci = { providers: raw.ci as string[] };
  if (typeof raw.docker === "boolean") answers.docker = raw.docker;
  if (typeof raw.transport === "string") answers.transport = raw.transport;
  if (typeof raw.kubernetes === "boolean") answers.deploy = raw.kubernetes ? ["kubernetes"] : [];
  return { answers, dir: dir ?? answers.name };
}

function baseName(dir: string | undefined): string {
  return dir?.split("/").filter(Boolean).at(-1) ?? DEFAULT_NAME;
}
