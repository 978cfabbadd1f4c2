import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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

describe("interactive prompts", () => {
  it("asks every question, writes the answers and prints the equivalent command", async () => {
    const cwd = tempDir();
    const result = await session(cwd, ["--no-validate", "--no-git"], [
      [/Project name/, `risk-api${ENTER}`],
      [/Go module path/, ENTER],
      [/Ingress/, ENTER],
      [/HTTP router/, `${DOWN}${ENTER}`],
      [/CI providers/, ENTER],
      [/Worker transport/, `${DOWN}${ENTER}`],
      [/Kubernetes manifests/, `n${ENTER}`],
      [/Dockerfiles and compose/, `n${ENTER}`],
    ]);
    expect(result.answered, result.screen).toBe(8);
    expect(result.code, result.screen).toBe(0);
    const manifest = JSON.parse(readFileSync(join(cwd, "risk-api", "hybrid-backend.json"), "utf8"));
    expect(manifest.orchestrator).toMatchObject({ module: "example.com/risk-api/orchestrator", router: "chi" });
    expect(manifest.docker).toBe(false);
    expect(manifest.ci.providers).toEqual(["github"]);
    expect(manifest.deploy).toEqual([]);
    expect(manifest.workers).toEqual([{ name: "scorer", transport: "uds" }]);
    expect(result.screen).toContain(
      "npm create hybrid-backend@latest risk-api -- --yes --ingress http --router chi --ci github --no-docker --deploy none --transport uds",
    );
  });

  it("describes each ingress, and an empty CI selection means none", async () => {
    const cwd = tempDir();
    const result = await session(cwd, ["--no-validate", "--no-git"], [
      [/Project name/, `queue-app${ENTER}`],
      [/Go module path/, ENTER],
      [/Ingress/, `${DOWN}${ENTER}`],
      [/Results sink/, ENTER],
      [/CI providers/, ` ${ENTER}`],
      [/Worker transport/, ENTER],
      [/Kubernetes manifests/, ENTER],
      [/Dockerfiles and compose/, ENTER],
    ]);
    expect(result.answered, result.screen).toBe(8);
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

  it("does not prompt with --yes even on a TTY", async () => {
    const cwd = tempDir();
    const result = await session(cwd, ["quiet", "--yes", "--no-validate", "--no-git"], []);
    expect(result.code, result.screen).toBe(0);
    expect(result.screen).not.toContain("?");
  });
});
