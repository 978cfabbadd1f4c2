import { execa } from "execa";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { ServiceBinaries } from "../../src/validate/services.js";
import { runCli } from "./cli.js";
import { RUN_TMP_VAR, removeTree } from "./temp-dirs.js";
import { E2E_ENV } from "./toolchain-env.js";

/**
 * A default project generated at `dir` and built as it runs in production:
 * the orchestrator with `go build` into `<dir>/bin`, the workers with
 * `cargo build --release` (in E2E_ENV's shared target dir, so dependencies
 * compile once per run). For e2e tests that start the real processes.
 */
export async function generateReleaseBuild(dir: string): Promise<ServiceBinaries> {
  const created = await runCli([dir, "--yes", "--no-validate", "--no-git"], process.cwd(), E2E_ENV);
  expect(created.exitCode, created.stderr).toBe(0);
  const goBin = join(dir, "bin");
  await execa("go", ["build", "-o", `${goBin}/`, "./cmd/orchestrator"], { cwd: join(dir, "orchestrator"), env: E2E_ENV });
  const workers = join(dir, "workers");
  await execa("cargo", ["build", "--locked", "--release"], { cwd: workers, env: E2E_ENV });
  const meta = JSON.parse((await execa("cargo", ["metadata", "--no-deps", "--format-version", "1"], { cwd: workers, env: E2E_ENV })).stdout);
  return { repo: dir, workers: [{ name: "scorer", bin: join(meta.target_directory, "release", "scorer") }], orchestrator: join(goBin, "orchestrator") };
}

/**
 * The default project, release-built once per test run and shared by every
 * e2e file that only starts its binaries (limits, replicas): the same variant
 * is not built twice (a release build of the worker is a minute or more
 * here). Cargo keys a crate's build by its path, so sharing the target dir
 * alone would not spare the rebuild; sharing the project does. Users must not
 * change the project: they keep their logs and state in folders of their own.
 *
 * It lives in the run's temp folder (temp-root.ts), not in a file's tempDir,
 * so it outlives the file that built it. e2e files run one at a time
 * (fileParallelism: false), so no lock is needed; a build that failed leaves
 * no marker and the next user starts over.
 */
export async function sharedReleaseBuild(): Promise<ServiceBinaries> {
  const root = join(process.env[RUN_TMP_VAR] ?? tmpdir(), "shared-release-build");
  const marker = join(root, "binaries.json");
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, "utf8")) as ServiceBinaries;
  removeTree(root);
  mkdirSync(root, { recursive: true });
  const bins = await generateReleaseBuild(join(root, "app"));
  writeFileSync(marker, JSON.stringify(bins));
  return bins;
}
