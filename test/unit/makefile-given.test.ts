import { execa } from "execa";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * A make variable set empty (`make lint BUF=`, or one exported empty) is not
 * unset: as a command it leaves the recipe's next word to run alone (`lint`,
 * `sync`), and as a required value (TO, GENERATOR_VERSION) it made npx run the
 * newest release. The Makefile lists every such variable with an example
 * (`example.VAR`) and recipes read each through `$(call given,VAR)`. This test
 * walks each rendered Makefile: no variable in a command's place unguarded,
 * every variable a user may set either listed or known to be optional, and,
 * with real make, each listed one set empty stops each target that reads it.
 */

const MANIFESTS: [string, Record<string, unknown>][] = [
  ["http, docker, kubernetes", { orchestrator: { module: "example.com/risk-api/orchestrator", ingress: "http", router: "stdlib" }, docker: true, deploy: ["kubernetes"] }],
  ["sqs, no docker", { orchestrator: { module: "example.com/risk-api/orchestrator", ingress: "sqs", sink: "dynamodb" }, docker: false, deploy: [] }],
];

/** Variables a user may set whose empty value is meaningful, and what it means. */
const OPTIONAL: Record<string, string> = { SYNC_FLAGS: "no flags" };

/** Make's own variables and automatic variables. */
const BUILTIN = /^(MAKECMDGOALS|MAKEFILE_LIST|MAKE|CURDIR|SHELL|@D|@|<|\^|\*|\d+)$/;

interface Makefile {
  text: string;
  /** The text without its comment lines. */
  code: string;
  /** example.VAR's value by VAR: the variables read through `given`. */
  examples: Map<string, string>;
  /** Each variable's definition (right-hand side) and how it is assigned. */
  defined: Map<string, { op: string; value: string }>;
  /** Each target's recipe, continued lines joined. */
  recipes: Map<string, string[]>;
}

function parse(text: string): Makefile {
  const examples = new Map<string, string>();
  const defined = new Map<string, { op: string; value: string }>();
  const recipes = new Map<string, string[]>();
  const lines = text.replace(/\\\n/g, " ").split("\n");
  let targets: string[] = [];
  for (const line of lines) {
    const assign = /^(?:override\s+)?([\w.]+)\s*(\?=|:=|=)\s*(.*)$/.exec(line);
    if (line.startsWith("\t")) {
      for (const t of targets) recipes.get(t)!.push(line.slice(1));
    } else if (assign) {
      const [, name, op, value] = assign as unknown as [string, string, string, string];
      if (name.startsWith("example.")) examples.set(name.slice("example.".length), value);
      else defined.set(name, { op, value });
      targets = [];
    } else if (/^[^#\s].*?:(?!=)/.test(line) && !line.startsWith(".")) {
      targets = line.slice(0, line.indexOf(":")).trim().split(/\s+/);
      for (const t of targets) if (!recipes.has(t)) recipes.set(t, []);
    } else if (line.trim() !== "" && !line.startsWith("#")) {
      targets = [];
    }
  }
  const code = text.split("\n").filter((line) => !line.startsWith("#")).join("\n");
  return { text, code, examples, defined, recipes };
}

/** The first word of every simple command of a recipe line. */
function commandWords(line: string): string[] {
  return line
    .split(/&&|\|\||;|\||\bthen\b|\belse\b|\bdo\b|\{/)
    .map((part) => part.trim().replace(/^[@-]+/, "").replace(/^(?:\w+=\S*\s+)*/, ""))
    .map((part) => (part.startsWith("$(call ") ? part.slice(0, part.indexOf(",") + 1 || undefined) : part.split(/\s+/)[0]!))
    .filter((word) => word !== "");
}

/** Every variable name a text reads: `$(NAME)`, `$(call given,NAME)`, `$(origin NAME)`. */
function reads(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\(([\w.@]+)\)|\$\(call given,(\w+)\)|\$\(origin (\w+)\)/g)) names.add((m[1] ?? m[2] ?? m[3])!);
  return names;
}

for (const [label, fields] of MANIFESTS) {
  const makefile = parse(render(parseManifest({ name: "risk-api", ...fields } as never)).get("Makefile")!.content.toString("utf8"));

  describe(`Makefile (${label}): variables that name a command or a required value`, () => {
    it("lists some, each with an example, and reads each through given", () => {
      expect(makefile.examples.size).toBeGreaterThanOrEqual(5);
      for (const [name, example] of makefile.examples) {
        expect(example, name).not.toBe("");
        expect(makefile.code, name).toContain(`$(call given,${name})`);
      }
      // given takes the example from the list, never from its caller.
      expect(makefile.code).not.toMatch(/\$\(call given,\w+,/);
    });

    it("runs no variable as a command unguarded", () => {
      const unguarded = [...makefile.recipes].flatMap(([target, lines]) =>
        lines.flatMap((line) => commandWords(line).filter((word) => /^\$\([\w.]+\)$/.test(word)).map((word) => `${target}: ${word} in "${line.trim()}"`)),
      );
      expect(unguarded).toEqual([]);
      // ...nor calls given with a variable the list has no example for.
      const unlisted = [...makefile.code.matchAll(/\$\(call given,(\w+)\)/g)].map((m) => m[1]!).filter((name) => !makefile.examples.has(name));
      expect(unlisted).toEqual([]);
    });

    it("lists every variable a user may set (a ?= default, or one read and never defined) unless empty means something", () => {
      const settable = [...makefile.defined].filter(([, { op }]) => op === "?=").map(([name]) => name);
      const undefinedReads = [...reads(makefile.code)].filter((name) => !makefile.defined.has(name) && !name.startsWith("example.") && !BUILTIN.test(name));
      const missing = [...new Set([...settable, ...undefinedReads])].filter((name) => !makefile.examples.has(name) && !(name in OPTIONAL));
      expect(missing).toEqual([]);
    });

    // A fact (a pinned version, a helper) is not a knob: set on the command
    // line, `make clean BUF_VERSION=` deleted the pinned buf and
    // `STATICCHECK_VERSION=` ran `go run ...@v`. Every variable that is neither
    // a ?= default nor in the given list is `override`, so make keeps its own.
    it("keeps every fact it defines when the command line sets it (real make)", async () => {
      const facts = [...makefile.defined].filter(([name, { op }]) => op !== "?=" && !makefile.examples.has(name) && !(name in OPTIONAL)).map(([name]) => name);
      expect(facts).toEqual(expect.arrayContaining(["BUF_VERSION", "STATICCHECK_VERSION"]));
      const dir = tempDir("chb-make-facts-");
      writeFileSync(join(dir, "Makefile"), `${makefile.text}\n__origins:\n\t@:${facts.map((f) => ` $(info ${f} $(origin ${f}))`).join("")}\n`);
      const stand = [...makefile.examples.keys()].map((name) => `${name}=true`);
      const r = await execa("make", ["--no-print-directory", "__origins", ...facts.map((f) => `${f}=`), ...stand], { cwd: dir, env: { PATH: process.env.PATH! }, extendEnv: false, stdin: "ignore", reject: false, all: true, timeout: 20_000 });
      expect(r.exitCode, r.all).toBe(0);
      expect(r.all.trim().split("\n").sort()).toEqual(facts.map((f) => `${f} override`).sort());
      const clean = await execa("make", ["--no-print-directory", "-n", "clean", "BUF_VERSION="], { cwd: dir, env: { PATH: process.env.PATH! }, extendEnv: false, stdin: "ignore", reject: false, all: true, timeout: 20_000 });
      expect(clean.all).toMatch(/! -name 'buf-\d+\.\d+\.\d+'/);
    });

    /** The targets whose recipe reads `name` through given, directly or through a variable whose definition does. */
    function targetsReading(name: string): string[] {
      const via = new Set([name]);
      for (const [other, { value }] of makefile.defined) if (value.includes(`$(call given,${name})`)) via.add(other);
      return [...makefile.recipes].filter(([, lines]) => lines.some((line) => [...via].some((v) => line.includes(`$(call given,${v})`) || (v !== name && line.includes(`$(${v})`))))).map(([target]) => target);
    }

    it("stops every target that reads one set empty, naming it, the target and the example (real make)", async () => {
      const dir = tempDir("chb-make-given-");
      writeFileSync(join(dir, "Makefile"), makefile.text);
      const cases = [...makefile.examples.keys()].flatMap((name) => targetsReading(name).map((target) => ({ name, target })));
      expect(cases.map(({ target }) => target)).toEqual(expect.arrayContaining(["gen", "lint", "sync", "upgrade"]));
      // Each listed variable is read by some target, so each is tried.
      expect([...makefile.examples.keys()].filter((name) => !cases.some((c) => c.name === name))).toEqual([]);
      for (const { name, target } of cases) {
        // The others set to a stand-in, so nothing but the variable under test is looked up (no buf download, no node).
        const others = [...makefile.examples.keys()].filter((other) => other !== name && !makefile.defined.get(other)?.value.includes(`given,${name})`)).map((other) => `${other}=true`);
        for (const empty of [`${name}=`, `${name}= `]) {
          const r = await execa("make", ["--no-print-directory", "-n", target, empty, ...others], { cwd: dir, env: { PATH: process.env.PATH! }, extendEnv: false, stdin: "ignore", reject: false, all: true, timeout: 20_000 });
          const where = `make ${target} ${empty}`;
          expect(r.exitCode, `${where}: ${r.all}`).toBe(2);
          expect(r.all.trim().split("\n"), where).toHaveLength(1);
          expect(r.all, where).toContain(`make ${target}: ${name} is empty; unset it for the default, or set it, e.g. ${name}=${makefile.examples.get(name)}`);
        }
      }
    });
  });
}
