#!/usr/bin/env node
import { HELP, parseArgv, type ParsedArgs } from "./args.js";
import { runCreate } from "./commands/create.js";
import { EXIT, UsageError, errorJson, errorLine, escapeInvisible } from "./errors.js";
import { GENERATOR_VERSION } from "./version.js";

/** argv → command. The only place that decides the process's exit code. */
async function main(argv: string[]): Promise<number> {
  const args = parseArgv(argv);
  if (args.values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (args.values.version) {
    console.log(GENERATOR_VERSION);
    return EXIT.ok;
  }
  // validate [dir], sync [dir], add/remove KIND VALUE [dir]: the folder they work in.
  const repoArg = ({ validate: 0, sync: 0, add: 2, remove: 2 } as Record<string, number>)[args.command];
  if (repoArg !== undefined) (await import("./write/repo.js")).checkRepoDir(args.positionals[repoArg] ?? ".");
  switch (args.command) {
    case "create":
      return runCreate(args);
    case "validate":
      return (await import("./commands/validate.js")).runValidate(args.positionals[0] ?? ".", { json: Boolean(args.values.json), noCache: Boolean(args.values["no-cache"]) });
    case "doctor":
      return (await import("./commands/validate.js")).runDoctor({ json: Boolean(args.values.json) });
    case "sync":
      return (await import("./commands/sync.js")).runSync(args.positionals[0], syncOptions(args));
    case "add":
    case "remove":
      return (await import("./commands/change.js")).runChange(args.command, args.positionals, syncOptions(args), args.values.transport);
    case "cache":
      return (await import("./commands/cache.js")).runCache(args.positionals[0]!, { json: Boolean(args.values.json) });
  }
}

function syncOptions({ values }: ParsedArgs) {
  return { check: values.check, dryRun: values["dry-run"], force: values.force, json: values.json, verbose: values.verbose };
}

let settled = false;
// Node ends a process whose event loop has emptied with exit code 0, even while main() is
// still awaiting (a promise nothing is left to settle): a run would stop with no report and
// read as success. Never exit silently: say so and fail.
process.on("beforeExit", () => {
  if (settled) return;
  settled = true;
  console.error(`create-hybrid-backend ${GENERATOR_VERSION}: internal error: the run stopped waiting before it finished (nothing was left running); please report it`);
  process.exitCode = EXIT.failed;
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    settled = true;
    if (isPromptCancel(err)) {
      console.error("cancelled; nothing was written");
      process.exitCode = 130;
      return;
    }
    const code = err instanceof UsageError ? EXIT.usage : EXIT.failed;
    if (wantsJson(process.argv.slice(2))) console.log(errorJson(err, code, GENERATOR_VERSION));
    console.error(errorLine(err, GENERATOR_VERSION));
    if (debug() && err instanceof Error && err.stack) {
      console.error(err.stack.split("\n").map(escapeInvisible).join("\n"));
    }
    process.exitCode = code;
  },
);

/**
 * Whether the run asked for --json, read from argv itself: the error may be
 * that argv did not parse, and a script asking for JSON still gets JSON.
 */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === "--json" || a.startsWith("--json="));
}

function isPromptCancel(err: unknown): boolean {
  return err instanceof Error && (err.name === "ExitPromptError" || /force closed/i.test(err.message));
}

function debug(): boolean {
  const flag = process.env.HYBRID_BACKEND_DEBUG;
  return flag !== undefined && flag !== "" && flag !== "0";
}
