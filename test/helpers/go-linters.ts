import { execa } from "execa";
import { expect } from "vitest";
import { E2E_ENV } from "./toolchain-env.js";

/**
 * The Go linters validate leaves to the e2e tests, on a generated
 * orchestrator: staticcheck; deadcode, from main and the tests, so no preset
 * carries a function only another preset calls (it prints each one; silence
 * is a pass); and go.mod as `go mod tidy` would write it.
 */
export async function expectGoLintersPass(orchestrator: string): Promise<void> {
  const run = (cmd: string, args: string[]) => execa(cmd, args, { cwd: orchestrator, env: E2E_ENV, reject: false, stdin: "ignore", all: true });
  const staticcheck = await run("staticcheck", ["./..."]);
  expect(staticcheck.exitCode, staticcheck.all).toBe(0);
  const deadcode = await run("deadcode", ["-test", "./..."]);
  expect(deadcode.exitCode, deadcode.all).toBe(0);
  expect(deadcode.all, "functions nothing reaches").toBe("");
  const tidy = await run("go", ["mod", "tidy", "-diff"]);
  expect(tidy.exitCode, tidy.all).toBe(0);
}
