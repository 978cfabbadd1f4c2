import { describe, expect, it } from "vitest";
import { nextSteps } from "../../src/commands/next-steps.js";
import { INGRESS, parseManifest, type Manifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { runCli, tempDir } from "../helpers/cli.js";

const manifestFor = (ingress: string, docker = true): Manifest =>
  parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress }, docker });

/** The targets the generated Makefile defines (`name: ... ## help`). */
function makeTargets(m: Manifest): Set<string> {
  const makefile = render(m).get("Makefile")!.content.toString("utf8");
  return new Set([...makefile.matchAll(/^([a-z][\w-]*):/gm)].map((match) => match[1]!));
}

/** Every target a printed step asks make for. */
const makeWords = (lines: string[]) =>
  lines.flatMap((l) => /^\s*make ([^#]+)/.exec(l)?.[1]!.trim().split(/\s+/).filter((w) => !w.includes("=")) ?? []);

describe("next steps", { timeout: 30_000 }, () => {
  it.each(INGRESS.flatMap((ingress) => [true, false].map((validated) => [ingress, validated] as const)))(
    "%s (validated: %s) names only targets of the generated Makefile",
    (ingress, validated) => {
      const m = manifestFor(ingress);
      const lines = nextSteps("app", m, validated);
      const words = makeWords(lines);
      expect(words.length).toBeGreaterThan(0);
      const targets = makeTargets(m);
      for (const word of words) expect(targets, `make ${word}`).toContain(word);
      expect(lines[0]).toBe("  cd app");
      expect(words.includes("smoke")).toBe(!validated);
    },
  );

  it("queue presets start the emulator and the resources before run, and produce work", () => {
    for (const ingress of INGRESS.filter((i) => i !== "http")) {
      const words = makeWords(nextSteps("app", manifestFor(ingress), true));
      expect(words).toEqual(["emulator", "bootstrap", "run", "produce", "wait-ready"]);
    }
  });

  it.each(["sqs", "kinesis"])("%s ends on a wait for the results of the requests it sent, as the README's Try it block does", (ingress) => {
    // Ending on `make produce` left work sent and no step that shows it done: results go to the sink, not a terminal.
    for (const sink of ["dynamodb", "none"]) {
      const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress, sink } });
      const lines = nextSteps("app", m, true);
      const produce = lines.find((l) => /^\s*make produce /.test(l));
      const wait = lines.at(-1)!;
      expect(produce, lines.join("\n")).toMatch(/^\s*make produce N=(\d+) /);
      const n = /N=(\d+)/.exec(produce!)![1];
      expect(wait).toMatch(new RegExp(`^\\s*make wait-ready PROCESSED=${n} `));
      expect(wait).toContain(sink === "dynamodb" ? "in DynamoDB" : "in the orchestrator's log");
      const readme = render(m).get("README.md")!.content.toString("utf8");
      expect(readme).toContain(`make produce N=${n}`);
      expect(readme).toContain(`make wait-ready PROCESSED=${n}`);
    }
  });

  it("http runs the services; no emulator", () => {
    expect(makeWords(nextSteps("app", manifestFor("http"), true))).toEqual(["run"]);
  });

  it("a project made in . prints no cd; a folder with a space is quoted", () => {
    expect(nextSteps(".", manifestFor("http"), true).join("\n")).not.toContain("cd");
    expect(nextSteps("my dir/app", manifestFor("http"), true)[0]).toBe("  cd 'my dir/app'");
  });

  it.each(["sqs", "kinesis"])("create --ingress %s prints the queue steps", async (ingress) => {
    const cwd = tempDir();
    const result = await runCli([".", "--name", "app", "--ingress", ingress, "--yes", "--no-validate", "--no-git"], cwd);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Next:\n {2}make test smoke .*\n {2}make emulator .*\n {2}make bootstrap run .*\n {2}make produce N=1000 .*\n {2}make wait-ready PROCESSED=1000 /);
    expect(result.stdout).not.toContain("cd .");
  });
});

/**
 * After `remove worker`, a leftover WORKER_<NAME>_ADDR is not ignored: the
 * orchestrator's config warns of a WORKER_ name that is not a setting, and
 * `make run` refuses to start with one. The step says that, for every
 * ingress, rather than "no longer read".
 */
describe.each(INGRESS)("remove worker's next steps, %s", (ingress) => {
  it("says a leftover address variable is warned of, and stops make run", async () => {
    const { changeSteps } = await import("../../src/commands/next-steps.js");
    const m = parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress }, workers: [{ name: "scorer" }] });
    const config = render(m).get("orchestrator/internal/config/config.go")!.content.toString("utf8");
    expect(config).toMatch(/ownedPrefixes = \[\]string\{"WORKER_"/);
    const text = changeSteps("remove", "worker", "pricing", m, "/tmp/risk-api").join("\n");
    expect(text).not.toContain("no longer read");
    expect(text).toContain("the orchestrator no longer dials pricing and warns at start while WORKER_PRICING_ADDR is set, and make run refuses it");
  });
});
