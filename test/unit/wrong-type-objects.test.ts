import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { runCli, snapshot, tempDir } from "../helpers/cli.js";

/** create with config as its answers file: exit 2, one line starting with line, nothing written. */
async function refusedAsConfig(config: object, line: string) {
  const cwd = tempDir();
  writeFileSync(join(cwd, "answers.json"), JSON.stringify(config));
  const r = await runCli(["app", "--yes", "--no-validate", "--no-git", "--config", "answers.json"], cwd);
  expect(r.exitCode).toBe(2);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr.trim().startsWith(`error: --config answers.json ${line}`), r.stderr).toBe(true);
  expect(snapshot(cwd)).toEqual(["answers.json"]);
}

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
  ])("--config %j: exit 2, one line, nothing written", refusedAsConfig);

  it("in the manifest too", () => {
    expect(() => parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator" }, ci: ["gitlab"] })).toThrow(
      'ci: ["gitlab"] is not valid; expected an object with the keys providers, registry, actions',
    );
  });
});

/**
 * {"ci": null} was read as no ci at all (`m.ci ?? {}` in the defaulting
 * steps), so the defaults applied and GitHub CI was generated without a word.
 * Only an absent field takes its default; a null is refused like any other
 * value of the wrong type, in every object and list the manifest holds.
 */
describe("a null where a value belongs", () => {
  it.each([
    [{ ci: null }, "ci: null is not valid; expected an object with the keys providers, registry, actions"],
    [{ orchestrator: null }, "orchestrator: null is not valid; expected an object with the keys module, ingress, router, sink"],
    [{ toolchains: null }, "toolchains: null is not valid; expected an object with the keys"],
    [{ deploy: null }, "deploy: null is not valid; expected array"],
    [{ workers: null }, "workers: null is not valid; expected array"],
    [{ ci: { providers: null } }, "ci.providers: null is not valid; expected array"],
    [{ orchestrator: { ingress: null } }, "orchestrator.ingress: null is not valid; allowed: http, sqs, kinesis"],
  ])("--config %j: exit 2, one line, nothing written", refusedAsConfig);

  it("in the manifest too", () => {
    expect(() => parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator" }, ci: null })).toThrow(
      "ci: null is not valid; expected an object with the keys providers, registry, actions",
    );
  });
});
