import nodePlop from "node-plop";
import type { Partial } from "./answers.js";
import { DEFAULT_NAME, answersFault, merge, parseWorkers } from "./answers.js";
import { UsageError } from "./errors.js";
import { STRICT_TYPES, strictPrompts } from "./strict-prompts.js";
import { fromFlags } from "./manifest-faults.js";
import {
  CI_PROVIDERS,
  DEFAULT_WORKERS,
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
 * anything already given by a flag or --config is not asked again. A choice
 * the schema's rules across fields would refuse, given the flags and the
 * answers so far, is not offered; a question left with one possible answer is
 * not asked, and that answer is recorded. So no answer is lost to an error
 * at the end.
 */
export async function promptAnswers(
  given: Partial,
  dir: string | undefined,
  /** Why a project cannot go in this folder, if it cannot: checked as the name is typed, since it names the folder. */
  folderProblem: (folder: string) => string | undefined = () => undefined,
): Promise<{ answers: Partial; dir: string | undefined }> {
  const plop = await nodePlop();
  // Every closed-choice question refuses a typed answer outside its choices (strict-prompts.ts),
  // built on the prompts node-plop's inquirer registered (plop passes that inquirer through, untyped).
  const { inquirer } = plop as unknown as { inquirer: { prompt: { prompts: Parameters<typeof strictPrompts>[0] } } };
  for (const [type, prompt] of Object.entries(strictPrompts(inquirer.prompt.prompts))) plop.setPrompt(type, prompt as never);
  /** The values of one question that, with the flags and the answers so far, break no rule of the manifest. */
  const fitting = <T>(key: string, values: T[], soFar: Record<string, unknown>) =>
    values.filter((value) => answersFault(merge(given, toPartial({ ...soFar, [key]: value })), fromFlags, true) === undefined);
  /** Asked only when more than one value fits; a single fitting value is answered for the user. */
  const onlyIfOpen = (key: string, values: unknown[], when: (a: Record<string, unknown>) => boolean = () => true) => (a: Record<string, unknown>) => {
    if (!when(a)) return false;
    const open = fitting(key, values, a);
    if (open.length === 1) a[key] = open[0];
    return open.length > 1;
  };
  const ingressOf = (a: Record<string, unknown>) => String(a.ingress ?? given.orchestrator?.ingress ?? "http");
  const listOf = (key: string, choices: { name: string; value: string }[]) => ({
    choices: (a: Record<string, unknown>) => {
      const open = fitting(key, choices.map((c) => c.value), a);
      return choices.filter((c) => open.includes(c.value));
    },
  });
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
      when: onlyIfOpen("ingress", [...INGRESS]),
      ...listOf("ingress", [
        { name: "http (JSON API over HTTP; each request scored and answered)", value: "http" },
        { name: "sqs (consume an SQS queue; poison messages go to a dead-letter queue)", value: "sqs" },
        { name: "kinesis (consume a Kinesis stream; shard leases and checkpoints kept in DynamoDB)", value: "kinesis" },
      ]),
      default: "http",
    },
    given.orchestrator?.router === undefined && {
      type: "list",
      name: "router",
      // The router serves only health endpoints on a queue ingress: not a choice there.
      when: onlyIfOpen("router", [...ROUTERS], (a) => ingressOf(a) === "http"),
      message: "HTTP router",
      ...listOf("router", [
        { name: "stdlib (net/http ServeMux patterns)", value: "stdlib" },
        { name: "chi (github.com/go-chi/chi/v5)", value: "chi" },
      ]),
      default: "stdlib",
    },
    given.orchestrator?.sink === undefined && {
      type: "list",
      name: "sink",
      message: "Results sink",
      when: onlyIfOpen("sink", [...SINKS], (a) => QUEUE_INGRESS.includes(ingressOf(a))),
      ...listOf("sink", [
        { name: "dynamodb (one item per request id, idempotent writes)", value: "dynamodb" },
        { name: "none (log results only)", value: "none" },
      ]),
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
    given.workers === undefined && {
      type: "input",
      name: "workers",
      message: "Rust workers (comma-separated names, the first the primary)",
      default: DEFAULT_WORKERS.map((w) => w.name).join(","),
      // Judged as --workers is, against the flags and the answers so far (each name valid, none twice, at most the limit).
      validate: (v: string, a: Record<string, unknown> = {}) => {
        try {
          const fault = answersFault(merge(given, toPartial({ ...a, workers: v })), fromFlags, true);
          return fault === undefined ? true : fault.message;
        } catch (err) {
          if (err instanceof UsageError) return err.message;
          throw err;
        }
      },
    },
    given.transport === undefined && {
      type: "list",
      name: "transport",
      message: "Worker transport",
      when: onlyIfOpen("transport", [...TRANSPORTS]),
      ...listOf("transport", [
        { name: "tcp (each worker its own Deployment behind a Service; scales on its own)", value: "tcp" },
        { name: "uds (sidecar in the orchestrator's pod, gRPC over a Unix socket; no network hop)", value: "uds" },
      ]),
      default: "tcp",
    },
    // Docker before Kubernetes: the manifests run the images the Dockerfiles build.
    given.docker === undefined && {
      type: "confirm",
      name: "docker",
      message: "Dockerfiles and compose",
      when: onlyIfOpen("docker", [true, false]),
      default: true,
    },
    given.deploy === undefined && {
      type: "confirm",
      name: "kubernetes",
      message: "Kubernetes manifests (kustomize, deploy/kubernetes)",
      when: onlyIfOpen("kubernetes", [true, false]),
      default: true,
    },
  ]
    .filter((q) => q !== false)
    .map((q) => ({ ...q, type: STRICT_TYPES[q.type] ?? q.type }));

  const generator = plop.setGenerator("create", { description: "new project", prompts: prompts as never, actions: [] });
  const raw = (await generator.runPrompts()) as Record<string, unknown>;

  const answers = toPartial(raw);
  return { answers, dir: dir ?? answers.name };
}

/** inquirer's answers (the questions' names) as a partial manifest. */
function toPartial(raw: Record<string, unknown>): Partial {
  const answers: Partial = {};
  if (typeof raw.name === "string") answers.name = raw.name;
  const orchestrator: NonNullable<Partial["orchestrator"]> = {};
  for (const key of ["module", "ingress", "router", "sink"] as const) {
    if (typeof raw[key] === "string") orchestrator[key] = raw[key] as string;
  }
  if (Object.keys(orchestrator).length) answers.orchestrator = orchestrator;
  if (Array.isArray(raw.ci)) answers.ci = { providers: raw.ci as string[] };
  if (typeof raw.docker === "boolean") answers.docker = raw.docker;
  if (typeof raw.workers === "string") answers.workers = parseWorkers(raw.workers, "workers");
  if (typeof raw.transport === "string") answers.transport = raw.transport;
  if (typeof raw.kubernetes === "boolean") answers.deploy = raw.kubernetes ? ["kubernetes"] : [];
  return answers;
}

function baseName(dir: string | undefined): string {
  return dir?.split("/").filter(Boolean).at(-1) ?? DEFAULT_NAME;
}
