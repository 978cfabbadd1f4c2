import { describe, expect, it } from "vitest";
import { COMMANDS, HELP, OPTIONS_OF, parseArgv, type Command } from "../../src/args.js";
import { EXAMPLE, OPTIONS, isOption, takesValue } from "../../src/options.js";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * --help is how one learns the flags: every flag it lists for a command is
 * one that command takes, and every flag a command takes is listed (create
 * took --docker, which the help never named). Read from the help text itself
 * (a command's usage lines, their continuations, and its options section) and
 * held to the one table the parser refuses by (OPTIONS_OF).
 */
const lines = HELP.split("\n");
/** The lines after line i that continue its entry (indented past the option column). */
function continued(i: number): string[] {
  const out: string[] = [];
  for (const line of lines.slice(i + 1)) {
    if (!/^ {20,}\S/.test(line)) break;
    out.push(line);
  }
  return out;
}
/** The usage lines that start `hybrid-backend COMMAND` (or create's), each with its continuation lines. */
function usage(command: Command): string[] {
  const head = command === "create" ? "  create-hybrid-backend " : `  hybrid-backend ${command} `;
  return lines.flatMap((line, i) => (line.startsWith(head) ? [line, ...continued(i)] : []));
}
/** An options section: its heading line, then its lines up to a blank one. */
function section(heading: string): string[] {
  const i = lines.findIndex((l) => l.startsWith(heading));
  const end = lines.findIndex((l, j) => j > i && l.trim() === "");
  return lines.slice(i, end < 0 ? undefined : end);
}
const SECTION: Partial<Record<Command, string>> = { create: "Create options", sync: "Sync / add / remove options", add: "Sync / add / remove options", remove: "Sync / add / remove options" };

/** The options a command's help text names, long (--name) or short (-y). */
function listed(command: Command): string[] {
  const text = [...usage(command), ...(SECTION[command] ? section(SECTION[command]) : [])].join("\n");
  const shorts = Object.fromEntries(Object.entries(OPTIONS).flatMap(([name, o]) => ("short" in o ? [[o.short, name]] : [])));
  const words = [...text.matchAll(/(?<![\w-])--([a-z][a-z-]*)|(?<![\w-])-([a-z])\b/g)].map((m) => m[1] ?? shorts[m[2]!] ?? `-${m[2]}`);
  return [...new Set(words)].sort();
}

/** A line that runs `command` with `flag` and nothing it would refuse for another reason. */
function lineWith(command: Command, option: string): string[] {
  const positionals: Record<Command, string[]> = { create: ["app"], validate: [], doctor: [], sync: [], add: ["worker", "pricing"], remove: ["worker", "pricing"], cache: ["info"] };
  const value = isOption(option) && takesValue(option) ? [EXAMPLE[option]] : [];
  return [...(command === "create" ? [] : [command]), ...positionals[command], `--${option}`, ...value];
}

describe.each(COMMANDS)("%s --help", (command) => {
  it("lists every option the command takes (--help and --version are every command's), and no other", () => {
    const names = listed(command);
    expect(names.length, `${command}: no options found in its help`).toBeGreaterThan(0);
    const takes = new Set([...OPTIONS_OF[command]].filter((o) => o !== "help" && o !== "version"));
    expect(names.filter((n) => n !== "help" && n !== "version")).toEqual([...takes].sort());
  });

  it("each option it lists is accepted by the parser", () => {
    for (const option of listed(command)) {
      expect(() => parseArgv(lineWith(command, option)), `${command} --${option}`).not.toThrow();
    }
  });
});

// The parser is the CLI's; one run through the built CLI proves the help's
// newly listed flag is taken end to end (a dry run writes nothing).
it("create --docker, as the help lists it, runs", { timeout: 60_000 }, async () => {
  const r = await runCli(["app", "--yes", "--docker", "--dry-run", "--no-validate"], tempDir("chb-help-flags-"));
  expect(r.exitCode, r.stderr).toBe(0);
});
