import { execa } from "execa";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectValidated, runCli, tempDir } from "../helpers/cli.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * Every HTTP option combination (router × docker × CI) is generated and
 * proven by `validate` with the real toolchains, then held to the linters of
 * its own field that validate does not run. The default combination is
 * proven by the packed-tarball test instead, exactly as `npm create` runs it.
 */
const combos = ["stdlib", "chi"].flatMap((router) =>
  [true, false].flatMap((docker) => [true, false].map((github) => ({ router, docker, github }))),
).filter((c) => !(c.router === "stdlib" && c.docker && c.github));

const tool = (cmd: string, args: string[], cwd: string) =>
  execa(cmd, args, { cwd, env: E2E_ENV, reject: false, stdin: "ignore", all: true });

describe.each(combos)("router=$router docker=$docker github=$github", ({ router, docker, github }) => {
  const dir = join(tempDir("chb-e2e-"), `app-${router}`);
  const flags = ["--router", router, ...(docker ? [] : ["--no-docker"]), "--ci", github ? "github" : "none"];

  it("generates and passes validate with the real toolchains", async () => {
    const result = await runCli([dir, "--yes", "--json", ...flags], process.cwd(), E2E_ENV);
    expectValidated(result);
    const manifest = JSON.parse(readFileSync(join(dir, "hybrid-backend.json"), "utf8"));
    expect(manifest.orchestrator.router).toBe(router);
    expect(manifest.docker).toBe(docker);
    expect(existsSync(join(dir, "workers", "scorer", "Dockerfile"))).toBe(docker);
    expect(existsSync(join(dir, ".github", "workflows", "ci.yml"))).toBe(github);
  });

  it("passes staticcheck and go mod tidy", async () => {
    const orchestrator = join(dir, "orchestrator");
    const sc = await tool("staticcheck", ["./..."], orchestrator);
    expect(sc.exitCode, sc.all).toBe(0);
    const tidy = await tool("go", ["mod", "tidy", "-diff"], orchestrator);
    expect(tidy.exitCode, tidy.all).toBe(0);
  });

  // Lint only what this combination generates: nothing is skipped.
  if (docker) it("has Dockerfiles hadolint accepts", async () => {
    const lint = await tool("hadolint", ["orchestrator/Dockerfile", "workers/scorer/Dockerfile"], dir);
    expect(lint.exitCode, lint.all).toBe(0);
  });

  if (github) it("has a workflow actionlint accepts", async () => {
    const lint = await tool("actionlint", [".github/workflows/ci.yml"], dir);
    expect(lint.exitCode, lint.all).toBe(0);
  });
});

/**
 * Two workers in one workspace: validate builds and tests both crates, smokes
 * each over gRPC and through its own /v1/workers/NAME routes, plus the
 * primary's /v1/score.
 */
describe("workers [scorer, pricing]", () => {
  const root = tempDir("chb-e2e-");
  const dir = join(root, "app-two");

  it("generates and passes validate with both workers built and smoke-tested", async () => {
    const config = join(root, "answers.json");
    writeFileSync(config, JSON.stringify({ workers: [{ name: "scorer" }, { name: "pricing" }] }));
    const result = await runCli([dir, "--yes", "--json", "--config", config], process.cwd(), E2E_ENV);
    expectValidated(result);
    for (const name of ["scorer", "pricing"]) expect(existsSync(join(dir, "workers", name, "Cargo.toml"))).toBe(true);
  });

  it("has worker Dockerfiles hadolint accepts", async () => {
    const lint = await tool("hadolint", ["workers/scorer/Dockerfile", "workers/pricing/Dockerfile"], dir);
    expect(lint.exitCode, lint.all).toBe(0);
  });
});
