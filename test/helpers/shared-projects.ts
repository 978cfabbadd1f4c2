import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { ServiceBinaries } from "../../src/validate/services.js";
import { runCli } from "./cli.js";
import { generateReleaseBuild } from "./release-build.js";
import { RUN_TMP_VAR, removeTree } from "./temp-dirs.js";
import { E2E_ENV } from "./toolchain-env.js";

/**
 * Generated projects shared by the e2e files of one run, so that the same
 * variant is generated and built once (DESIGN.md §7): cargo keys a crate's
 * build by its path, so a shared target dir alone does not spare a second
 * project's worker build; a shared project does. Users must not change a
 * shared project's sources: they keep their logs and state in folders of
 * their own (tempDir), and what they build lands in build outputs only.
 *
 * A shared project lives in the run's temp folder (temp-root.ts), not in a
 * file's tempDir, so it outlives the file that made it. e2e files run one at
 * a time (fileParallelism: false), so no lock is needed; a `make` that failed
 * leaves no marker, and the next user starts over.
 */
async function oncePerRun<T>(key: string, make: (root: string) => Promise<T>): Promise<T> {
  const root = join(process.env[RUN_TMP_VAR] ?? tmpdir(), "shared", key);
  const marker = join(root, "made.json");
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, "utf8")) as T;
  removeTree(root);
  mkdirSync(root, { recursive: true });
  const made = await make(root);
  writeFileSync(marker, JSON.stringify(made));
  return made;
}

/** The default project, release-built: limits and replicas run its binaries, bench its `make bench`. */
export function sharedReleaseBuild(): Promise<ServiceBinaries> {
  return oncePerRun("default-release", (root) => generateReleaseBuild(join(root, "app")));
}

/**
 * A queue preset's project as the default command generates it (git, CI,
 * Docker), unvalidated: queue.test.ts validates it, and it and the replica
 * and lease tests drive its binaries (QueueRig builds them).
 */
export function sharedQueueProject(ingress: "sqs" | "kinesis"): Promise<string> {
  return oncePerRun(`queue-${ingress}`, async (root) => {
    const dir = join(root, `${ingress}-app`);
    const created = await runCli([dir, "--yes", "--no-validate", "--ingress", ingress], process.cwd(), E2E_ENV);
    expect(created.exitCode, created.stderr).toBe(0);
    return dir;
  });
}
