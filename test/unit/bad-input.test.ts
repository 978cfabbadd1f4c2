import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { RAW_INVISIBLE, runCli, snapshot, tempDir } from "../helpers/cli.js";
import { FLAG_FOR } from "../../src/manifest-faults.js";
import { EXAMPLE, OPTIONS, takesValue, type OptionName, type ValueOption } from "../../src/options.js";

/**
 * Every case: exit 2, exactly one line on stderr naming the field and the
 * value, and nothing written anywhere in the working folder. Runs the built
 * CLI (npm test builds first), as a user would.
 */
type Case = { args: string[]; field: string; value: string; allowed?: string; setup?: (cwd: string) => void };

/** A fault in an answers file is named where it was written there: "--config answers.json PATH" ("" for its top level). */
const configCase = (name: string, body: string, field: string, value: string, allowed?: string): [string, Case] => [
  name,
  {
    args: ["app", "--config", "answers.json"],
    field: field === "--config" ? field : `--config answers.json${field ? ` ${field}` : ""}`,
    value,
    allowed,
    setup: (cwd) => writeFileSync(join(cwd, "answers.json"), body),
  },
];

const WORKER_RULE = "lowercase letters and digits, starting with a letter";

const cases: [string, Case][] = [
  ["uppercase name", { args: ["MyApp"], field: "name", value: "MyApp" }],
  ["underscore name", { args: ["my_app"], field: "name", value: "my_app" }],
  ["name starting with a digit", { args: ["1app"], field: "name", value: "1app" }],
  ["name with double hyphen", { args: ["my--app"], field: "name", value: "my--app" }],
  ["name ending with a hyphen", { args: ["app-"], field: "name", value: "app-" }],
  ["name too long", { args: ["a".repeat(65)], field: "name", value: "a".repeat(65) }],
  ["empty --name", { args: ["app", "--name", ""], field: "name (--name)", value: '""' }],
  // An empty value is refused the same way for every value option, never read as "not given".
  ["empty --config", { args: ["cfgapp", "--yes", "--no-validate", "--config", ""], field: "--config", value: '""', allowed: "needs a value" }],
  ["empty --ci after =", { args: ["app", "--ci="], field: "ci.providers (--ci)", value: '""', allowed: "give none, or a comma-separated list of github, gitlab" }],
  ["--name with a space", { args: ["app", "--name", "my app"], field: "name (--name)", value: "my app" }],
  ["unknown flag", { args: ["app", "--frob"], field: "option", value: "--frob" }],
  ["unknown short flag", { args: ["app", "-x"], field: "option", value: "-x" }],
  ["unknown router", { args: ["app", "--router", "gin"], field: "orchestrator.router", value: "gin" }],
  ["unknown ingress", { args: ["app", "--ingress", "grpc"], field: "orchestrator.ingress", value: "grpc" }],
  ["sink without a queue", { args: ["app", "--sink", "dynamodb"], field: "orchestrator.sink", value: "dynamodb" }],
  ["router with a queue ingress", { args: ["app", "--ingress", "kinesis", "--router", "chi"], field: "orchestrator.router", value: "chi" }],
  ["unknown sink", { args: ["app", "--ingress", "sqs", "--sink", "s3"], field: "orchestrator.sink", value: "s3" }],
  // A list flag's error offers its own vocabulary, none included, as --help does.
  ["unknown CI provider", { args: ["app", "--ci", "travis"], field: "ci.providers.0", value: "travis", allowed: "give none, or a comma-separated list of github, gitlab" }],
  ["unknown deploy target", { args: ["app", "--deploy", "k8s"], field: "deploy.0", value: "k8s", allowed: "give none, or a comma-separated list of kubernetes" }],
  ["CI provider twice", { args: ["app", "--ci", "github,github"], field: "ci.providers.1", value: "github" }],
  ["module without a domain", { args: ["app", "--module", "myapp/orchestrator"], field: "orchestrator.module", value: "myapp/orchestrator" }],
  ["module with uppercase domain", { args: ["app", "--module", "Example.com/x"], field: "orchestrator.module", value: "Example.com/x" }],
  ["module with an empty element", { args: ["app", "--module", "example.com//x"], field: "orchestrator.module", value: "example.com//x" }],
  ["module ending in internal", { args: ["app", "--module", "example.com/app/internal"], field: "orchestrator.module", value: "internal" }],
  ["flag without its value", { args: ["app", "--router"], field: "option", value: "--router" }],
  ["switch given a value", { args: ["app", "--no-git=yes"], field: "option", value: "--no-git", allowed: "takes no value" }],
  ["two folders", { args: ["one", "two"], field: "arguments", value: "one two" }],
  ["option of another command", { args: ["validate", ".", "--router", "chi"], field: "option", value: "--router" }],
  ["target is a file", { args: ["taken"], field: "directory", value: "taken", setup: (cwd) => writeFileSync(join(cwd, "taken"), "mine") }],
  [
    "target is not empty",
    {
      args: ["taken"],
      field: "directory",
      value: "taken",
      allowed: "(1 entry: notes.md)",
      setup: (cwd) => {
        mkdirSync(join(cwd, "taken"));
        writeFileSync(join(cwd, "taken", "notes.md"), "mine");
      },
    },
  ],
  ["missing --config file", { args: ["app", "--config", "nope.json"], field: "--config", value: "nope.json" }],
  configCase("malformed --config", "{ name: ", "--config", "answers.json"),
  configCase("--config not an object", "[1, 2]", "--config", "answers.json"),
  configCase("--config with an unknown key", '{"frob": 1}', "", "frob", "an unknown key; remove it; the keys here are $schema, generator, name"),
  configCase("--config with __proto__", '{"__proto__": {"docker": false}, "router": "chi"}', "", "__proto__", "an unknown key"),
  configCase("--config with a nested unknown key", '{"orchestrator": {"routr": "chi"}}', "orchestrator", "routr", "did you mean router?"),
  configCase("--config with two unknown keys", '{"workers": [{"name": "ab", "port": 1, "host": "x"}]}', "workers.0", "port", "also unknown here: host; the keys here are name, transport"),
  // A flag overrides the file, so a fault in the flag's value is the flag's.
  ["--config overridden by a bad flag", { args: ["app", "--config", "answers.json", "--router", "gin"], field: "orchestrator.router (--router)", value: "gin", setup: (cwd) => writeFileSync(join(cwd, "answers.json"), '{"router": "chi"}') }],
  configCase("--config with a wrong type", '{"docker": "yes"}', "docker", "yes"),
  configCase("--config with a bad toolchain", '{"toolchains": {"go": "latest"}}', "toolchains.go", "latest"),
  configCase("--config with a bad name", '{"name": "Bad Name"}', "name", "Bad Name"),
  configCase("worker name with uppercase", '{"workers": [{"name": "Pricing"}]}', "workers.0.name", "Pricing", WORKER_RULE),
  configCase("worker name with a hyphen", '{"workers": [{"name": "risk-v2"}]}', "workers.0.name", "risk-v2", WORKER_RULE),
  configCase("worker name too long", `{"workers": [{"name": "${"w".repeat(25)}"}]}`, "workers.0.name", "w".repeat(25), WORKER_RULE),
  configCase("reserved worker name", '{"workers": [{"name": "scorer"}, {"name": "moto"}]}', "workers.1.name", "moto", WORKER_RULE),
  configCase("worker named like a dependency", '{"workers": [{"name": "serde"}]}', "workers.0.name", "serde", WORKER_RULE),
  configCase("duplicate worker", '{"workers": [{"name": "scorer"}, {"name": "scorer"}]}', "workers.1.name", "scorer", "give each worker a different name"),
  configCase("no workers", '{"workers": []}', "workers", "[]", "list 1 to 8 workers"),
  ["validate a folder without a manifest", { args: ["validate", "."], field: "directory", value: "." }],
  // Every command that works in a repo folder checks it first: git and the builds would fail to start in it (spawn ENOTDIR).
  ...(["validate", "sync", "sync --check", "add worker pricing", "remove ci github"] as const).flatMap((command): [string, Case][] => [
    [`${command} a file`, { args: [...command.split(" "), "taken"], field: "directory", value: "taken", allowed: "it is not a folder", setup: (cwd) => writeFileSync(join(cwd, "taken"), "mine") }],
    [`${command} under a file`, { args: [...command.split(" "), "taken/app"], field: "directory", value: "taken/app", allowed: "a folder on its path is a file", setup: (cwd) => writeFileSync(join(cwd, "taken"), "mine") }],
    [`${command} a missing folder`, { args: [...command.split(" "), "gone"], field: "directory", value: "gone", allowed: "it does not exist" }],
  ]),
  ["manifest that is a folder", { args: ["sync", "--check"], field: "hybrid-backend.json", value: "a folder", setup: (cwd) => mkdirSync(join(cwd, "hybrid-backend.json")) }],
  ["--ci none with a provider", { args: ["app", "--ci", "none,github"], field: "ci.providers (--ci)", value: "none,github", allowed: "none stands alone" }],
  ["--ci with an empty entry", { args: ["app", "--ci", "github,"], field: "ci.providers (--ci)", value: "github,", allowed: "comma-separated" }],
  ["mistyped flag", { args: ["app", "--ingres", "sqs"], field: "option", value: "--ingres", allowed: "did you mean --ingress?" }],
  ["mistyped flag with =", { args: ["app", "--rooter=chi"], field: "option", value: "--rooter", allowed: "did you mean --router?" }],
  ["mistyped command", { args: ["valdate"], field: "command", value: "valdate", allowed: "did you mean validate?" }],
  ["mistyped command before a folder", { args: ["synk", "."], field: "command", value: "synk", allowed: "did you mean sync?" }],
  ["--git-init with --no-git", { args: ["app", "--git-init", "--no-git"], field: "--git-init", value: "--no-git" }],
  ["--ci given twice", { args: ["app", "--yes", "--ci", "github", "--ci", "gitlab"], field: "ci.providers (--ci)", value: "gitlab", allowed: "given twice" }],
  ["--ingress given twice", { args: ["app", "--ingress", "sqs", "--ingress=http"], field: "orchestrator.ingress (--ingress)", value: "http", allowed: 'first "sqs"' }],
  ["--docker with --no-docker", { args: ["app", "--no-docker", "--docker"], field: "--docker", value: "--no-docker", allowed: "contradict" }],
  ["parent of the folder is a file", { args: ["taken/app"], field: "directory", value: "taken", setup: (cwd) => writeFileSync(join(cwd, "taken"), "mine") }],
  configCase("--config --ci none with a provider", '{"ci": "none,gitlab"}', "ci", "none,gitlab", "none stands alone"),
  // In a file the list is JSON, where none is [], not a word: the schema's own values.
  configCase("--config unknown deploy target", '{"deploy": ["k8s"]}', "deploy.0", "k8s", "allowed: kubernetes"),
  configCase("--config router twice", '{"router": "chi", "orchestrator": {"router": "stdlib"}}', "router", "chi", "keep one"),
  // Invisible and control characters are spelled as a \u escape of four hex digits in the error, never printed raw.
  ["name with a byte order mark", { args: ["\ufeffapp"], field: "name", value: "\\ufeffapp" }],
  ["name with a zero-width space", { args: ["ap\u200bp"], field: "name", value: "ap\\u200bp" }],
  ["name with a C1 control", { args: ["app\u0085"], field: "name", value: "app\\u0085" }],
  ["ingress with a zero-width joiner", { args: ["app", "--ingress", "sqs\u200d"], field: "orchestrator.ingress", value: "sqs\\u200d" }],
  ["router with a bidi override", { args: ["app", "--router", "chi\u202e"], field: "orchestrator.router", value: "chi\\u202e" }],
  ["module with a bidi isolate", { args: ["app", "--module", "example.com/\u2066x"], field: "orchestrator.module", value: "\\u2066" }],
  ["--name with a newline", { args: ["app", "--name", "my\napp"], field: "name (--name)", value: "my\\napp" }],
  ["mistyped flag with a right-to-left mark", { args: ["app", "--ingress\u200f", "sqs"], field: "option", value: "--ingress\\u200f" }],
  configCase("--config key with a control character", '{"fr\\u0001ob": 1}', "", "fr\\u0001ob"),
  // Folders the system refuses: Node's recursive mkdir spun forever on /proc's ENOENT (see src/make-dirs.ts).
  ...(process.platform === "linux"
    ? ([
        ["target the system refuses with ENOENT (/proc)", { args: ["/proc/hybrid-app", "--yes"], field: "directory", value: "/proc/hybrid-app", allowed: "cannot be created: ENOENT" }],
        ["target under a missing folder the system refuses (/proc)", { args: ["/proc/self/new/app", "--yes"], field: "directory", value: "/proc/self/new/app", allowed: "cannot be created (at /proc/self/new): ENOENT" }],
        ["target the system refuses with EPERM (/sys)", { args: ["/sys/hybrid-app", "--yes"], field: "directory", value: "/sys/hybrid-app", allowed: "cannot be created" }],
      ] satisfies typeof cases)
    : []),
  configCase("--config with a BOM and a zero-width space", "\ufeff{\u200b}", "--config", "answers.json", "position 1"),
  configCase("--config with a zero-width space in a value", '{"name": "ap\u200bp"}', "name", "ap\\u200bp"),
  configCase("--config with a BOM, then not an object", "\ufeff[1]", "--config", "answers.json", "JSON object"),
  [
    "manifest with a BOM and a zero-width space",
    { args: ["validate", "."], field: "hybrid-backend.json", value: "\\u200b", setup: (cwd) => writeFileSync(join(cwd, "hybrid-backend.json"), "\ufeff{\u200b}") },
  ],
];

describe("bad input loses nothing", () => {
  beforeAll(() => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)("%s", async (_name, c) => {
    const cwd = tempDir();
    c.setup?.(cwd);
    const before = snapshot(cwd);
    const result = await runCli(c.args, cwd);
    expect(result.exitCode, result.stderr).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).not.toMatch(RAW_INVISIBLE);
    // The line starts with the field: "error: FIELD: VALUE ..." or "error: FIELD (--flag): ...".
    const said = lines[0]!.slice("error: ".length);
    expect(said.startsWith(`${c.field}:`) || said.startsWith(`${c.field} `), said).toBe(true);
    expect(lines[0]).toContain(c.value);
    if (c.allowed) expect(lines[0]).toContain(c.allowed);
    expect(result.stdout).toBe("");
    expect(snapshot(cwd)).toEqual(before);
  });
});

/**
 * Every value option, from the option table rather than a hand list: an empty
 * value, or one of blanks alone (trimmed to empty, args.ts), is refused, and
 * the error names the manifest field the flag sets beside the flag
 * ("orchestrator.ingress (--ingress)", "name (--name)"), from the one table
 * that maps them (FLAG_FOR); a flag that sets no field (--config) alone.
 */
describe("every value option: empty values, named in both forms", () => {
  const valueOptions: ValueOption[] = (Object.keys(OPTIONS) as OptionName[]).filter(takesValue);
  const fieldOf = (flag: string) => {
    const path = Object.keys(FLAG_FOR).filter((p) => FLAG_FOR[p] === flag).sort((a, b) => a.length - b.length)[0];
    return path === undefined ? flag : `${path} (${flag})`;
  };

  it("maps every flag of the field table to a value option", () => {
    expect(Object.values(FLAG_FOR).filter((flag) => !valueOptions.includes(flag.slice(2) as ValueOption))).toEqual([]);
    expect(valueOptions.length).toBeGreaterThanOrEqual(10);
  });

  const flagCases = valueOptions.flatMap((name) => [
    { label: `--${name}= empty`, args: [`--${name}=`] },
    { label: `--${name} of blanks`, args: [`--${name}`, " \t "] },
  ].map((c) => ({ ...c, field: fieldOf(`--${name}`) })));

  it.each(flagCases)("$label", async (c) => {
    const cwd = tempDir();
    const result = await runCli(["app", "--yes", "--no-validate", "--no-git", ...c.args], cwd);
    expect(result.exitCode, result.stderr).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]!.startsWith(`error: ${c.field}: `), lines[0]).toBe(true);
    expect(lines[0]).toContain("needs a value");
    expect(snapshot(cwd)).toEqual([]);
  });

  it("names a schema fault of --name as every other flag's", async () => {
    const result = await runCli(["app", "--name", "Bad"], tempDir());
    expect(result.stderr.trim()).toMatch(/^error: name \(--name\): "?Bad"? is not valid/);
  });
});
