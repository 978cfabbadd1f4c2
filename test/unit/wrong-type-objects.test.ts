import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { runCli, snapshot, tempDir } from "../helpers/cli.js";

/**
 * {"ci": ["gitlab"]} or {"orchestrator": "http"} in an answers file or the
 * manifest was spread into an object keyed "0", "1", ... by the defaulting
 * steps, and refused as 'ci: "0" is not valid; an unknown key'; and
 * {"workers": ["scorer"]} answered only "expected object". A value of the
 * wrong type is named as written, with the object's keys.
 */
describe("a list or string where an object belongs", () => {
  it.each([
    [{ ci: ["gitlab"] }, 'ci: ["gitlab"] is not valid; expected an object with the keys providers, registry, actions'],
    [{ orchestrator: "http" }, 'orchestrator: "http" is not valid; expected an object with the keys module, ingress, router, sink'],
    [{ orchestrator: ["http"] }, 'orchestrator: ["http"] is not valid; expected an object with the keys module, ingress, router, sink'],
    [{ workers: ["scorer"] }, 'workers.0: "scorer" is not valid; expected an object with the keys name, transport'],
  ])("--config %j: exit 2, one line, nothing written", async (config, line) => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "answers.json"), JSON.stringify(config));
    const r = await runCli(["app", "--yes", "--no-validate", "--no-git", "--config", "answers.json"], cwd);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(`error: --config answers.json ${line}`);
    expect(snapshot(cwd)).toEqual(["answers.json"]);
  });

  it("in the manifest too", () => {
    expect(() => parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator" }, ci: ["gitlab"] })).toThrow(
      'ci: ["gitlab"] is not valid; expected an object with the keys providers, registry, actions',
    );
  });
});
