import { execa } from "execa";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { ServiceBinaries } from "../../src/validate/services.js";
import { runCli } from "./cli.js";
import { E2E_ENV } from "./toolchain-env.js";

/**
 * A default project generated at `dir` and built as it runs in production:
 * the orchestrator with `go build` into `<dir>/bin`, the worker with
 * `cargo build --release` (in E2E_ENV's shared target dir, so dependencies
 * compile once per run) and copied there too. For e2e tests that start the
 * real processes.
 */
export async function generateReleaseBuild(dir: string): Promise<ServiceBinaries> {
  const created = await runCli([dir, "--yes", "--no-validate", "--no-git"], process.cwd(), E2E_ENV);
  expect(created.exitCode, created.stderr).toBe(0);
  const goBin = join(dir, "bin");
  await execa("go", ["build", "-o", `${goBin}/`, "./cmd/orchestrator"], { cwd: join(dir, "orchestrator"), env: E2E_ENV });
  const workers = join(dir, "workers");
  await execa("cargo", ["build", "--locked", "--release"], { cwd: workers, env: E2E_ENV });
  const meta = JSON.parse((await execa("cargo", ["metadata", "--no-deps", "--format-version", "1"], { cwd: workers, env: E2E_ENV })).stdout);
  // A copy beside the orchestrator: every project's scorer lands on the same path in the
  // shared target dir, so a later project's build would replace the one this returns.
  const scorer = join(goBin, "scorer");
  copyFileSync(join(meta.target_directory, "release", "scorer"), scorer);
  return { repo: dir, workers: [{ name: "scorer", bin: scorer }], orchestrator: join(goBin, "orchestrator") };
}
