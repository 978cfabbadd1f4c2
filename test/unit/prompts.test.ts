import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readChoice, readPicks, readYesNo } from "../../src/typed-answers.js";
import { CLI, tempDir } from "../helpers/cli.js";

/**
 * The interactive path on a real pseudo-terminal (util-linux `script`): each
 * answer is typed only once its question is on screen, as a person would.
 */
function session(cwd: string, args: string[], steps: [RegExp, string][]) {
  const env = { ...process.env, TERM: "xterm" } as Record<string, string>;
  delete env.CI;
  const child = spawn("script", ["-qfec", ["node", CLI, ...args].join(" "), "/dev/null"], { cwd, env });
  let screen = "";
  let next = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString("utf8");
    while (next < steps.length && steps[next]![0].test(screen)) {
      child.stdin.write(steps[next]![1]);
      next += 1;
    }
  });
  return new Promise<{ code: number | null; screen: string; answered: number }>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, screen, answered: next });
    });
  });
}

const ENTER = "\r";
const DOWN = "\x1b[B";
/** Every question after the name of an HTTP project, each answered with its default. */
const HTTP_DEFAULTS: [RegExp, string][] = [
  [/Go module path/, ENTER],
  [/Ingress/, ENTER],
  [/HTTP router/, ENTER],
  [/CI providers/, ENTER],
  [/Rust workers/, ENTER],
  [/Worker transport/, ENTER],
  [/Dockerfiles and compose/, ENTER],
  [/Kubernetes manifests/, ENTER],
];

describe("interactive prompts", () => {
  it("asks every question, writes the answers and prints the equivalent command", async () => {
    const cwd = tempDir();
    const result = await session(cwd, ["--no-validate", "--no-git"], [
      [/Project name/, `risk-api${ENTER}`],
      [/Go module path/, ENTER],
      [/Ingress/, ENTER],
      [/HTTP router/, `${DOWN}${ENTER}`],
      [/CI providers/, ENTER],
      [/Rust workers/, ENTER],
      [/Worker transport/, `${DOWN}${ENTER}`],
      [/Dockerfiles and compose/, `n${ENTER}`],
    ]);
    expect(result.answered, result.screen).toBe(8);
    // Without images there is nothing for Kubernetes to run: not asked, answered "none".
    expect(result.screen).not.toContain("Kubernetes manifests");
    expect(result.code, result.screen).toBe(0);
    const manifest = JSON.parse(readFileSync(join(cwd, "risk-api", "hybrid-backend.json"), "utf8"));
    expect(manifest.orchestrator).toMatchObject({ module: "example.com/risk-api/orchestrator", router: "chi" });
    expect(manifest.docker).toBe(false);
    expect(manifest.ci.providers).toEqual(["github"]);
    expect(manifest.deploy).toEqual([]);
    expect(manifest.workers).toEqual([{ name: "scorer", transport: "uds" }]);
    // Started from a checkout (CLI), as the line says to start it again: npm create would fetch another release, or none.
    expect(result.screen).toContain(
      `node ${CLI} risk-api --yes --ingress http --router chi --ci github --no-docker --deploy none --transport uds --no-validate --no-git\r\n`,
    );
  });

  it("a dry run prints the equivalent command too, as a dry run", async () => {
    // A dry run is where a new user tries the questions out; its line was missing,
    // and the line of a --no-validate --no-git run dropped both switches.
    const cwd = tempDir();
    const result = await session(cwd, ["app-x", "--dry-run", "--no-validate"], HTTP_DEFAULTS);
    expect(result.code, result.screen).toBe(0);
    expect(result.screen).toContain("Would create");
    expect(result.screen).toContain(`Same again without prompts:\r\n  node ${CLI} app-x --yes --ingress http --router stdlib --ci github --dry-run --no-validate\r\n`);
  });

  it("describes each ingress, and an empty CI selection means none", async () => {
    const cwd = tempDir();
    const result = await session(cwd, ["--no-validate", "--no-git"], [
      [/Project name/, `queue-app${ENTER}`],
      [/Go module path/, ENTER],
      [/Ingress/, `${DOWN}${ENTER}`],
      [/Results sink/, ENTER],
      [/CI providers/, ` ${ENTER}`],
      [/Rust workers/, ENTER],
      [/Worker transport/, ENTER],
      [/Dockerfiles and compose/, ENTER],
      [/Kubernetes manifests/, ENTER],
    ]);
    expect(result.answered, result.screen).toBe(9);
    expect(result.code, result.screen).toBe(0);
    for (const text of ["http (JSON API over HTTP", "sqs (consume an SQS queue", "kinesis (consume a Kinesis stream", "none selected = no CI"]) {
      expect(result.screen).toContain(text);
    }
    const manifest = JSON.parse(readFileSync(join(cwd, "queue-app", "hybrid-backend.json"), "utf8"));
    expect(manifest.orchestrator.ingress).toBe("sqs");
    expect(manifest.ci.providers).toEqual([]);
    expect(result.screen).toContain("--ingress sqs --sink dynamodb --ci none");
    expect(result.screen).toContain("make emulator");
  });

  // The folder, and the name taken from it, are known before any question: checked first, no answers lost.
  it.each([
    ["a folder whose name is not a valid project name", ["'sp ace'"], "name (from the folder)"],
    ["a folder that is not empty", ["taken"], "it is not empty"],
    ["--name naming a folder that is not empty", ["--name", "taken"], "it is not empty"],
    // A value no answer can mend is refused before the questions, not after the last of them.
    ["a bad flag value", ["--router", "gin"], 'error: orchestrator.router (--router): "gin" is not valid'],
    ["a bad --transport", ["--transport", "unix"], 'error: workers.0.transport (--transport): "unix" is not valid'],
    ["a bad value in --config", ["--config", "answers.json"], 'error: --config answers.json toolchains.go: "latest" is not valid'],
    ["an unknown key in --config", ["--config", "typo.json"], 'error: --config typo.json orchestrator: "routr" is not valid'],
  ])("refuses %s before the first question", async (_name, args, said) => {
    const cwd = tempDir();
    mkdirSync(join(cwd, "taken"));
    writeFileSync(join(cwd, "taken", "notes.md"), "mine");
    writeFileSync(join(cwd, "answers.json"), '{"toolchains": {"go": "latest"}}');
    writeFileSync(join(cwd, "typo.json"), '{"orchestrator": {"routr": "chi"}}');
    const result = await session(cwd, [...args, "--no-validate", "--no-git"], [[/Go module path/, ENTER]]);
    expect(result.code, result.screen).toBe(2);
    expect(result.answered, result.screen).toBe(0);
    expect(result.screen).not.toMatch(/Project name|Go module path/);
    expect(result.screen).toContain(said);
  });

  // The schema's rules across fields decide what is offered: a choice they would refuse at the end is not offered.
  it("offers only the ingresses --sink allows", async () => {
    const cwd = tempDir();
    const result = await session(cwd, ["sinky", "--sink", "dynamodb", "--no-validate", "--no-git"], [
      [/Go module path/, ENTER],
      [/Ingress/, `${DOWN}${ENTER}`],
      [/CI providers/, ENTER],
      [/Rust workers/, ENTER],
      [/Worker transport/, ENTER],
      [/Dockerfiles and compose/, ENTER],
      [/Kubernetes manifests/, ENTER],
    ]);
    expect(result.answered, result.screen).toBe(7);
    expect(result.code, result.screen).toBe(0);
    expect(result.screen).toContain("kinesis (consume a Kinesis stream");
    expect(result.screen).not.toContain("http (JSON API over HTTP");
    const manifest = JSON.parse(readFileSync(join(cwd, "sinky", "hybrid-backend.json"), "utf8"));
    expect(manifest.orchestrator).toMatchObject({ ingress: "kinesis", sink: "dynamodb" });
  });

  // One possible answer is no question: it is recorded, and the rest go on.
  it.each([
    ["--router chi allows only the http ingress", ["--router", "chi"], "Ingress", [/CI providers/, /Rust workers/, /Worker transport/, /Dockerfiles/, /Kubernetes/], { orchestrator: { ingress: "http", router: "chi" } }],
    ["--deploy kubernetes needs the Dockerfiles", ["--deploy", "kubernetes"], "Dockerfiles and compose", [/Ingress/, /HTTP router/, /CI providers/, /Rust workers/, /Worker transport/], { docker: true, deploy: ["kubernetes"] }],
    ["--no-docker leaves Kubernetes nothing to run", ["--no-docker"], "Kubernetes manifests", [/Ingress/, /HTTP router/, /CI providers/, /Rust workers/, /Worker transport/], { docker: false, deploy: [] }],
  ] as const)("does not ask what has one possible answer: %s", async (_name, flags, unasked, asked, expected) => {
    const cwd = tempDir();
    const steps: [RegExp, string][] = [[/Go module path/, ENTER], ...asked.map((q): [RegExp, string] => [q, ENTER])];
    const result = await session(cwd, ["one-way", ...flags, "--no-validate", "--no-git"], steps);
    expect(result.answered, result.screen).toBe(steps.length);
    expect(result.code, result.screen).toBe(0);
    expect(result.screen).not.toContain(unasked);
    expect(JSON.parse(readFileSync(join(cwd, "one-way", "hybrid-backend.json"), "utf8"))).toMatchObject(expected);
  });

  it("asks for the name again when its folder is taken", async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, "taken"));
    writeFileSync(join(cwd, "taken", "notes.md"), "mine");
    const result = await session(cwd, ["--no-validate", "--no-git"], [
      [/Project name/, `taken${ENTER}`],
      [/not empty/, `${"\x7f".repeat(5)}fresh${ENTER}`],
      ...HTTP_DEFAULTS,
    ]);
    expect(result.answered, result.screen).toBe(10);
    expect(result.code, result.screen).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, "fresh", "hybrid-backend.json"), "utf8")).name).toBe("fresh");
  });

  // --workers was the only way to more than one worker; asked, a bad list is refused where it is typed.
  it("asks for the workers and judges the list as --workers does", async () => {
    const cwd = tempDir();
    const result = await session(cwd, ["crew", "--ingress", "sqs", "--no-validate", "--no-git"], [
      [/Go module path/, ENTER],
      [/Results sink/, ENTER],
      [/CI providers/, ENTER],
      [/Rust workers/, `scorer,scorer${ENTER}`],
      // The terminal wraps the error line: match a part of it that stays on one row.
      [/different name/, `${"\x7f".repeat(6)}pricing${ENTER}`],
      [/Worker transport/, ENTER],
      [/Dockerfiles and compose/, ENTER],
      [/Kubernetes manifests/, ENTER],
    ]);
    expect(result.answered, result.screen).toBe(8);
    expect(result.code, result.screen).toBe(0);
    const manifest = JSON.parse(readFileSync(join(cwd, "crew", "hybrid-backend.json"), "utf8"));
    expect(manifest.workers).toEqual([
      { name: "scorer", transport: "tcp" },
      { name: "pricing", transport: "tcp" },
    ]);
    expect(result.screen).toContain("--workers scorer,pricing");
  });

  // A closed question took any typed answer but its choices for the default (maybe, ja), or
  // for yes (yse), and a list ignored what was typed: "queue" then Enter answered http.
  it("refuses a typed answer outside a question's choices and asks again, naming them", async () => {
    const cwd = tempDir();
    const result = await session(cwd, ["picky", "--no-validate", "--no-git"], [
      [/Go module path/, ENTER],
      [/Ingress/, `queue${ENTER}`],
      // The terminal wraps a long line: match a part of it that stays on one row.
      [/"queue" is not one of/, `SQS${ENTER}`],
      [/Results sink/, ENTER],
      [/CI providers/, `jenkins${ENTER}`],
      [/"jenkins" is not a list of/, `gitlab${ENTER}`],
      [/Rust workers/, ENTER],
      [/Worker transport/, `2${ENTER}`],
      [/Dockerfiles and compose/, `maybe${ENTER}`],
      [/"maybe" is not an answer/, `yse${ENTER}`],
      [/"yse" is not an answer/, `YES${ENTER}`],
      [/Kubernetes manifests/, `ja${ENTER}`],
      [/"ja" is not an answer/, `n${ENTER}`],
    ]);
    expect(result.answered, result.screen).toBe(13);
    expect(result.code, result.screen).toBe(0);
    const plain = result.screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
    // Answered, a question is drawn without its refusal under it.
    expect(plain).not.toMatch(/Ingress sqs \(consume an SQS queue[^\n]*\n>> /);
    expect(plain).not.toMatch(/Dockerfiles and compose Yes\s*\n>> /);
    const screen = plain.replace(/\s+/g, " ");
    for (const allowed of ["one of http, sqs, kinesis", "a list of github, gitlab", "type y, yes, n or no (Enter alone: yes)"]) expect(screen).toContain(allowed);
    const manifest = JSON.parse(readFileSync(join(cwd, "picky", "hybrid-backend.json"), "utf8"));
    expect(manifest.orchestrator).toMatchObject({ ingress: "sqs", sink: "dynamodb" });
    expect(manifest.ci.providers).toEqual(["gitlab"]);
    expect(manifest.workers).toEqual([{ name: "scorer", transport: "uds" }]);
    expect(manifest.docker).toBe(true);
    expect(manifest.deploy).toEqual([]);
  });

  it("names a typed answer's invisible characters escaped in its refusal", () => {
    expect(readYesNo("y\u001b[2J", true)).toEqual({ refused: '"y\\u001b[2J" is not an answer: type y, yes, n or no (Enter alone: yes)' });
    expect(readChoice(" Kinesis ", ["http", "sqs", "kinesis"], 0)).toEqual({ answer: 2 });
    expect(readChoice("4", ["http", "sqs", "kinesis"], 0)).toHaveProperty("refused");
    expect(readPicks(" a i ", ["github", "gitlab"])).toEqual({ answer: undefined });
    expect(readPicks("GitLab, github", ["github", "gitlab"])).toEqual({ answer: ["github", "gitlab"] });
    expect(readPicks("none", ["github", "gitlab"])).toEqual({ answer: [] });
  });

  it("does not prompt with --yes even on a TTY", async () => {
    const cwd = tempDir();
    const result = await session(cwd, ["quiet", "--yes", "--no-validate", "--no-git"], []);
    expect(result.code, result.screen).toBe(0);
    expect(result.screen).not.toContain("?");
  });
});
