import { execa } from "execa";
import { expect } from "vitest";
import { E2E_ENV } from "./toolchain-env.js";

/**
 * The Go linters validate leaves to the e2e tests, on a generated
 * orchestrator: staticcheck; deadcode twice (it prints each function nothing
 * reaches; silence is a pass): from main and the tests, so no preset carries
 * a function only another preset calls, nor a test helper nothing uses; and
 * from main alone, so no production function is kept alive only by its tests;
 * and go.mod as `go mod tidy` would write it.
 */
export async function expectGoLintersPass(orchestrator: string): Promise<void> {
  const run = (cmd: string, args: string[]) => execa(cmd, args, { cwd: orchestrator, env: E2E_ENV, reject: false, stdin: "ignore", all: true });
  const staticcheck = await run("staticcheck", ["./..."]);
  expect(staticcheck.exitCode, staticcheck.all).toBe(0);
  for (const roots of [["-test"], []]) {
    const deadcode = await run("deadcode", [...roots, "./..."]);
    expect(deadcode.exitCode, deadcode.all).toBe(0);
    expect(deadcode.all, `functions nothing reaches ${roots.length ? "from main or the tests" : "from main alone"}`).toBe("");
  }
  const tidy = await run("go", ["mod", "tidy", "-diff"]);
  expect(tidy.exitCode, tidy.all).toBe(0);
}
