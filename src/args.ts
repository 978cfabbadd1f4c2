import { parseArgs } from "node:util";
import { UsageError } from "./errors.js";
import { CI_PROVIDERS, DEPLOY_TARGETS, INGRESS, ROUTERS, SINKS, TRANSPORTS } from "./manifest.js";
import { checkOptionWords, rejectEmptyValues, trimValues, rejectRepeats } from "./option-checks.js";
import { OPTIONS, type OptionName } from "./options.js";
import { nearest, oneTypo } from "./suggest.js";

export const COMMANDS = ["create", "validate", "doctor", "sync", "add", "remove", "cache"] as const;
export type Command = (typeof COMMANDS)[number];


/** Which options make sense for which command; the rest are usage errors. */
const SYNC_OPTIONS = ["dry-run", "force", "json", "verbose", "help", "version"] as const;
export const OPTIONS_OF: Record<Command, readonly OptionName[]> = {
  create: (Object.keys(OPTIONS) as OptionName[]).filter((k) => !["check", "force", "no-cache"].includes(k)),
  validate: ["json", "no-cache", "help", "version"],
  doctor: ["json", "help", "version"],
  sync: [...SYNC_OPTIONS, "check"],
  add: [...SYNC_OPTIONS, "transport"],
  remove: SYNC_OPTIONS,
  cache: ["json", "help", "version"],
};

/** How many positionals each command takes: [min, max]. */
const POSITIONALS: Record<Command, [number, number]> = {
  create: [0, 1],
  validate: [0, 1],
  doctor: [0, 0],
  sync: [0, 1],
  add: [2, 3],
  remove: [2, 3],
  cache: [1, 1],
};

export interface ParsedArgs {
  command: Command;
  positionals: string[];
  values: {
    name?: string;
    module?: string;
    ingress?: string;
    router?: string;
    sink?: string;
    ci?: string;
    deploy?: string;
    transport?: string;
    workers?: string;
    "no-docker"?: boolean;
    docker?: boolean;
    config?: string;
    yes?: boolean;
    "dry-run"?: boolean;
    check?: boolean;
    "no-cache"?: boolean;
    force?: boolean;
    "no-validate"?: boolean;
    "no-git"?: boolean;
    "git-init"?: boolean;
    json?: boolean;
    verbose?: boolean;
    help?: boolean;
    version?: boolean;
  };
}

/**
 * argv → command + options. A known command word comes first; anything else
 * means `create`, which is what `npm create hybrid-backend my-app` runs.
 */
export function parseArgv(argv: string[]): ParsedArgs {
  const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: false, tokens: true });
  checkOptionWords(parsed.tokens, argv);
  const [first, ...rest] = parsed.positionals;
  const explicit = (COMMANDS as readonly string[]).includes(first ?? "");
  if (!explicit && first !== undefined) rejectMistypedCommand(first);
  const command = (explicit ? first : "create") as Command;
  const positionals = explicit ? rest : parsed.positionals;
  // --help and --version answer whatever else the line holds: `add --help`
  // is how one learns the arguments add needs, so their absence (or an
  // option the command does not take) must not refuse it.
  if (parsed.values.help === true || parsed.values.version === true) {
    return { command, positionals, values: parsed.values as ParsedArgs["values"] };
  }
  const [min, max] = POSITIONALS[command];
  if (positionals.length < min || positionals.length > max) {
    throw new UsageError("arguments", positionals.join(" ") || undefined, USAGE_OF[command]);
  }
  for (const key of Object.keys(parsed.values)) {
    if (!OPTIONS_OF[command].includes(key as OptionName)) {
      throw new UsageError("option", `--${key}`, `not an option of ${command}; run with --help`);
    }
  }
  const values = trimValues(parsed.values);
  rejectEmptyValues(values);
  rejectRepeats(parsed.tokens);
  // checkOptionWords held every option to its type, as strict parsing would have.
  return { command, positionals, values: values as ParsedArgs["values"] };
}

/**
 * A word one typo away from a command (`valdate`, `synk`) would otherwise
 * silently become the name of a new project; ./WORD still means a folder.
 */
function rejectMistypedCommand(word: string) {
  const command = nearest(word, COMMANDS, oneTypo);
  if (command === undefined) return;
  throw new UsageError("command", word, `unknown command; did you mean ${command}? (to create a project in a folder of that name, pass ./${word})`);
}

const USAGE_OF: Record<Command, string> = {
  create: "create takes at most one folder",
  validate: "validate takes at most one folder",
  doctor: "doctor takes no arguments",
  sync: "sync takes at most one folder",
  add: "use: add worker NAME [dir] | add ci PROVIDER [dir]",
  remove: "use: remove worker NAME [dir] | remove ci PROVIDER [dir]",
  cache: "use: cache info [--json] | cache clean",
};

export const HELP = `Usage:
  create-hybrid-backend [dir] [options]      generate a repo, then validate it
                                             (inside a generated repo, dir must be a path: ./NAME)
  hybrid-backend validate [dir] [--json]     re-prove a generated repo (--no-cache: rerun every
                                             check even if nothing changed since the last pass)
  hybrid-backend doctor [--json]             check the toolchains validate needs
  hybrid-backend sync [dir]                  re-render generated files from hybrid-backend.json,
                                             three-way merging your edits
  hybrid-backend sync --check [dir]          exit 3 if generated files are stale (for CI)
  hybrid-backend add worker NAME [dir]       add a Rust worker, then sync (--transport ${TRANSPORTS.join("|")};
                                             default: the primary worker's)
  hybrid-backend add ci PROVIDER [dir]       add a CI provider (${CI_PROVIDERS.join(", ")}), then sync
  hybrid-backend remove worker|ci VALUE [dir]
  hybrid-backend cache info [--json]         where the tool's cache lives, its size and entries
  hybrid-backend cache clean                 delete the tool's cache (size cap: HYBRID_BACKEND_CACHE_MAX,
                                             default 2GiB; least recently used entries go first)

Create options (prompted for on a TTY unless --yes):
  --name NAME          project name (default: the folder's name)
  --module PATH        Go module path of the orchestrator (default: example.com/NAME/orchestrator)
  --ingress KIND       ${INGRESS.join(" | ")} (default: http)
  --router KIND        ${ROUTERS.join(" | ")} (default: stdlib; http ingress only)
  --sink KIND          ${SINKS.join(" | ")} (default: dynamodb for queue ingress, none for http)
  --ci LIST            comma-separated: ${CI_PROVIDERS.join(", ")}, or none (default: github)
  --deploy LIST        ${DEPLOY_TARGETS.join(", ")}, or none: manifests under deploy/ (default: kubernetes)
  --transport KIND     ${TRANSPORTS.join(" | ")}: every worker its own Deployment behind a Service (tcp), or a
                       sidecar in the orchestrator's pod over a Unix socket (uds) (default: tcp)
  --workers LIST       comma-separated Rust worker names, 1 to 8, the first the primary (default: scorer)
  --no-docker          skip Dockerfiles and compose (--docker: keep them, whatever --config says)
  --config FILE        answers as JSON (the shape of hybrid-backend.json); flags override it
  -y, --yes            accept defaults, never prompt
  --dry-run            print the files that would be written; write nothing
  --no-validate        skip building and smoke-testing the result
  --no-git             do not git init / commit
  --git-init           git init and commit even inside another repository's work
                       tree (by default create leaves git to that repository)
  --json               machine-readable output (a failure too: {"ok": false, "exit", "error"})
  --verbose            list every file written
  -h, --help           this help
  -v, --version        print the version

Sync / add / remove options:
  --dry-run            print the report and the diff; write nothing
  --force              bring back generated files you deleted
  --json               machine-readable report
  --verbose            list every file written, not only those that need you (conflicts, merged or kept edits)

Exit codes: 0 ok, 1 validation failed, 2 bad input (nothing written),
3 sync left conflicts to resolve, or sync --check found stale files.`;
