import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgv } from "../../src/args.js";
import { UsageError } from "../../src/errors.js";
import { CI_PROVIDERS, DEPLOY_TARGETS, INGRESS, ROUTERS, SINKS, TRANSPORTS } from "../../src/manifest.js";
import { flagField } from "../../src/manifest-faults.js";
import { EXAMPLE, OPTIONS, takesValue, type OptionName, type ValueOption } from "../../src/options.js";
import { runCli, tempDir } from "../helpers/cli.js";

/** How an error names the option: with the manifest field it sets (flagField), as a pattern. */
const field = (option: string) => flagField(`--${option}`).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const VALUE_OPTIONS = (Object.keys(OPTIONS) as OptionName[]).filter(takesValue);
/** Value options with a fixed set of values: a missing one is answered with all of them, as a wrong one is. */
const CHOICES: Partial<Record<OptionName, readonly string[]>> = {
  ingress: INGRESS, router: ROUTERS, sink: SINKS, transport: TRANSPORTS, ci: [...CI_PROVIDERS, "none"], deploy: [...DEPLOY_TARGETS, "none"],
};
const OPEN_OPTIONS = VALUE_OPTIONS.filter((o) => CHOICES[o] === undefined);

/** A missing or empty value of a choice option: the line names every value allowed, not one example. */
function expectAllowedNamed(message: string, option: OptionName): void {
  expect(message).toContain("it needs a value;");
  for (const value of CHOICES[option]!) expect(message).toMatch(new RegExp(`\\b${value}\\b`));
  expect(message).not.toContain("e.g.");
}

/** The one-line message parseArgv throws for argv (fails the test if it accepts it). */
function refusal(argv: string[]): string {
  try {
    parseArgv(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error(`accepted: ${JSON.stringify(argv)}`);
}

describe("parseArgv: empty values", () => {
  it("knows at least the value options the tester tried", () => {
    expect(VALUE_OPTIONS).toEqual(expect.arrayContaining(["name", "ingress", "config", "ci"]));
  });

  it.each(OPEN_OPTIONS)("--%s \"\" is refused, as a separate word and after =", (option) => {
    for (const argv of [["app", `--${option}`, ""], ["app", `--${option}=`]]) {
      const message = refusal(argv);
      expect(message).toMatch(new RegExp(`^${field(option)}: "" is not valid; it needs a value, e\\.g\\. --${option} \\S+$`));
    }
  });

  it.each(Object.keys(CHOICES) as OptionName[])("--%s \"\" is refused naming every value it takes", (option) => {
    for (const argv of [["app", `--${option}`, ""], ["app", `--${option}=`]]) {
      const message = refusal(argv);
      expect(message).toMatch(new RegExp(`^${field(option)}: "" is not valid; `));
      expectAllowedNamed(message, option);
    }
  });
});

describe("parseArgv: an option given twice", () => {
  it.each(VALUE_OPTIONS)("--%s twice is refused, naming it and both values", (option) => {
    for (const argv of [["app", `--${option}`, "a", `--${option}`, "b"], ["app", `--${option}=a`, "--yes", `--${option}=b`]]) {
      const message = refusal(argv);
      expect(message).toMatch(new RegExp(`^${field(option)}: "b" is not valid; it is given twice \\(first "a"\\); give --${option} once`));
    }
  });

  it("tells a list option's user to combine the values", () => {
    expect(refusal(["app", "--ci", "github", "--ci", "gitlab"])).toContain("one comma-separated list: --ci github,gitlab");
    expect(refusal(["app", "--deploy", "kubernetes", "--deploy", "none"])).toContain("--deploy kubernetes,none");
  });

  it("suggests each entry once: the list itself refuses a repeat, so the suggestion must be accepted", async () => {
    const cases: [string[], string][] = [
      [["--ci", "gitlab", "--ci", "gitlab"], "--ci gitlab"],
      [["--ci", "gitlab", "--ci", "gitlab,github"], "--ci gitlab,github"],
      [["--ci=github,gitlab", "--ci", "github"], "--ci github,gitlab"],
    ];
    for (const [flags, suggested] of cases) {
      const message = refusal(["app", ...flags]);
      expect(message).toMatch(new RegExp(`one comma-separated list: ${suggested}$`));
      const typed = await runCli([".", "--name", "app", ...suggested.split(" "), "--yes", "--dry-run"], tempDir());
      expect(typed.exitCode, typed.stderr).toBe(0);
    }
  });

  it("lets a switch repeat: it means the same thing twice and drops nothing", () => {
    expect(parseArgv(["app", "-y", "--yes", "--no-git", "--no-git"]).values).toMatchObject({ yes: true, "no-git": true });
    expect(parseArgv(["sync", "--json", "--json"]).values.json).toBe(true);
  });
});

describe("parseArgv: usage messages name the option once, as typed", () => {
  const SWITCHES = (Object.keys(OPTIONS) as OptionName[]).filter((o) => !takesValue(o));
  const SHORTS = Object.values(OPTIONS).flatMap((o) => ("short" in o ? [`-${o.short}`] : []));

  it.each(SWITCHES)("--%s=VALUE: a switch takes no value", (option) => {
    expect(refusal(["app", `--${option}=no`])).toBe(`option: "--${option}" is not valid; it is a switch and takes no value`);
  });

  it.each(SHORTS)("%s=VALUE: a short switch takes no value", (short) => {
    expect(refusal(["app", `${short}=1`])).toBe(`option: "${short}" is not valid; it is a switch and takes no value`);
  });

  it.each(OPEN_OPTIONS)("--%s with nothing after it needs a value, shown by example", (option) => {
    for (const argv of [["app", `--${option}`], ["app", `--${option}`, "--yes"], ["app", `--${option}`, "-y"]]) {
      const message = refusal(argv);
      expect(message).toMatch(new RegExp(`^option: "--${option}" is not valid; it needs a value, e\\.g\\. --${option} [^\\s<>]+$`));
      expect(message).not.toMatch(/VALUE|<value>|, --/);
    }
  });

  it.each(Object.keys(CHOICES) as OptionName[])("--%s with nothing after it names every value it takes", (option) => {
    for (const argv of [["app", `--${option}`], ["app", `--${option}`, "--yes"]]) {
      const message = refusal(argv);
      expect(message).toMatch(new RegExp(`^option: "--${option}" is not valid; `));
      expectAllowedNamed(message, option);
    }
  });

  it("says how to pass a value that starts with a dash", () => {
    expect(refusal(["app", "--module", "-x"])).toContain('(if "-x" is the value, write --module=-x)');
  });

  it("names an unknown option as typed, with a suggestion", () => {
    expect(refusal(["app", "--rooter=chi"])).toBe('option: "--rooter" is not valid; unknown option; did you mean --router?');
    expect(refusal(["app", "-yx"])).toMatch(/^option: "-x" is not valid; unknown option/);
  });
});

/**
 * One whitespace rule for every value option, from the option table: what
 * surrounds a value, or an entry of a list, is dropped where flags are parsed.
 * Lists trimmed their entries while single values reached the schema as
 * typed (`--deploy " kubernetes"` passed, `--ingress " http"` failed).
 */
describe("whitespace around a value", () => {
  it.each(VALUE_OPTIONS)("--%s is trimmed, each list entry too", (option) => {
    const example = EXAMPLE[option as ValueOption];
    const padded = ` ${example.split(",").join(" , ")}\t`;
    for (const argv of [["app", `--${option}`, padded], ["app", `--${option}=${padded}`]]) {
      expect(parseArgv(argv).values[option as ValueOption]).toBe(example);
    }
  });

  it("is dropped end to end: ' sqs', ' kubernetes' and ' answers.json' create as typed without", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "answers.json"), '{"workers": [{"name": "scorer"}]}');
    const r = await runCli(["app", "--yes", "--dry-run", "--ingress", " sqs", "--deploy", " kubernetes", "--config", " answers.json\t"], cwd);
    expect(r.exitCode, r.stderr).toBe(0);
  });
});
