import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";
import { GENERATOR_VERSION } from "../../src/version.js";

/**
 * sync run by another release than the one the repo records (a checkout, as
 * HYBRID_BACKEND='node CHECKOUT/dist/cli.js' runs it) renders that release's
 * templates and records its version: it says so, naming both, on stderr.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const OLDER = "0.1.1";
let parent: string;
beforeAll(async () => {
  parent = tempDir("chb-sync-other-");
  const created = await runCli(["app", "--yes", "--no-validate"], parent);
  expect(created.exitCode, created.stderr).toBe(0);
});

const manifestPath = () => join(parent, "app", "hybrid-backend.json");
function record(version: string) {
  const m = JSON.parse(readFileSync(manifestPath(), "utf8"));
  m.generator.version = version;
  writeFileSync(manifestPath(), JSON.stringify(m, null, 2) + "\n");
}

describe("sync by another release than the recorded one", () => {
  it("--dry-run --json names both versions in one stderr line and in its report", async () => {
    record(OLDER);
    const run = await runCli(["sync", "app", "--dry-run", "--json"], parent);
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `note: hybrid-backend.json records create-hybrid-backend ${OLDER}; this is ${GENERATOR_VERSION}, which would render its templates and record ${GENERATOR_VERSION} (make sync runs the recorded release; make upgrade TO=VERSION moves the repo to another on purpose)`,
    );
    expect(JSON.parse(run.stdout).generator).toEqual({ recorded: OLDER, running: GENERATOR_VERSION });
  });

  it("says it as it writes, then records its own version, and is quiet from then on", async () => {
    record(OLDER);
    const run = await runCli(["sync", "app"], parent);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`records create-hybrid-backend ${OLDER}; this is ${GENERATOR_VERSION}, which renders its templates and records ${GENERATOR_VERSION}`);
    expect(JSON.parse(readFileSync(manifestPath(), "utf8")).generator.version).toBe(GENERATOR_VERSION);
    const again = await runCli(["sync", "app"], parent);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toBe("");
  });
});
