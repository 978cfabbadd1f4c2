import { CI_PROVIDERS, DEPLOY_TARGETS, INGRESS, ROUTERS, SINKS, TRANSPORTS } from "./manifest.js";
import { listFlagAllowed } from "./manifest-faults.js";

/** Every option the CLI knows, in node:util parseArgs' shape (args.ts decides which command takes which). */
export const OPTIONS = {
  name: { type: "string" },
  module: { type: "string" },
  ingress: { type: "string" },
  router: { type: "string" },
  sink: { type: "string" },
  ci: { type: "string" },
  deploy: { type: "string" },
  transport: { type: "string" },
  workers: { type: "string" },
  "no-docker": { type: "boolean" },
  docker: { type: "boolean" },
  config: { type: "string" },
  yes: { type: "boolean", short: "y" },
  "dry-run": { type: "boolean" },
  check: { type: "boolean" },
  "no-cache": { type: "boolean" },
  force: { type: "boolean" },
  "no-validate": { type: "boolean" },
  "no-git": { type: "boolean" },
  "git-init": { type: "boolean" },
  json: { type: "boolean" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

export type OptionName = keyof typeof OPTIONS;
export type ValueOption = { [K in OptionName]: (typeof OPTIONS)[K]["type"] extends "string" ? K : never }[OptionName];

/**
 * A real value for each value option, shown when one is missing or empty:
 * a usage message that only says VALUE leaves the user to guess its form.
 * A Record over ValueOption, so a new value option cannot be added without one.
 */
export const EXAMPLE: Readonly<Record<ValueOption, string>> = {
  name: "my-app",
  module: "example.com/my-app/orchestrator",
  ingress: "sqs",
  router: "chi",
  sink: "dynamodb",
  ci: "github,gitlab",
  deploy: "kubernetes",
  transport: "uds",
  workers: "scorer,pricing",
  config: "answers.json",
};

export function isOption(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

export function takesValue(name: OptionName): name is ValueOption {
  return OPTIONS[name].type === "string";
}

/**
 * What a value option with a fixed set of values takes, from the manifest's
 * own lists: an example alone ("e.g. --ingress sqs") left the user to guess
 * the other values, where a wrong value's message lists them all.
 */
const ALLOWED: Partial<Record<ValueOption, string>> = {
  ingress: `allowed: ${INGRESS.join(", ")}`,
  router: `allowed: ${ROUTERS.join(", ")}`,
  sink: `allowed: ${SINKS.join(", ")}`,
  transport: `allowed: ${TRANSPORTS.join(", ")}`,
  ci: listFlagAllowed(CI_PROVIDERS),
  deploy: listFlagAllowed(DEPLOY_TARGETS),
};

/** "it needs a value; allowed: http, sqs, kinesis", or by example where the values are open: "it needs a value, e.g. --name my-app". */
export function needsValue(name: ValueOption): string {
  const allowed = ALLOWED[name];
  return allowed ? `it needs a value; ${allowed}` : `it needs a value, e.g. --${name} ${EXAMPLE[name]}`;
}
