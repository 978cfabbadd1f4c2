import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it, vi } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * A team deleted "workers" from a manifest this very release wrote, and sync
 * told them "a new field: this release records it and the one that wrote yours
 * did not", then removed the second worker's files: the report blamed a
 * release that never existed. A field absent from a manifest the running
 * release (or a later one) wrote was deleted by hand, and the report says so.
 */
vi.setConfig({ testTimeout: 120_000 });

it("a field deleted from this release's manifest is reported as absent, not as a new field", async () => {
  const parent = tempDir("chb-sync-absent-");
  const created = await runCli(["app", "--yes", "--no-validate", "--workers", "scorer,ranker"], parent);
  expect(created.exitCode, created.stderr).toBe(0);
  const dir = join(parent, "app");
  const file = join(dir, "hybrid-backend.json");
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  delete manifest.workers;
  writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");

  const r = await runCli(["sync", "--dry-run"], dir);
  expect(r.exitCode, r.stderr).toBe(0);
  const line = r.stdout.split("\n").find((l) => l.includes("would record workers"));
  expect(line, r.stdout).toBeDefined();
  expect(line).not.toContain("a new field");
  expect(line).not.toContain("the one that wrote yours did not");
  expect(line).toMatch(/absent from hybrid-backend\.json, which this release \S+ wrote/);
  expect(line).toContain("restore it");
});
