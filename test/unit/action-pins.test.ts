import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";

/** ci.actions pins the GitHub workflow's actions: recorded exactly when GitHub CI is there. */
describe("ci.actions", () => {
  const base = { name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" } };

  it("is recorded for GitHub CI, the default", () => {
    expect(Object.keys(parseManifest(base).ci.actions ?? {})).toContain("actions/checkout");
    expect(parseManifest({ ...base, ci: { providers: ["gitlab", "github"] } }).ci.actions).toBeDefined();
  });

  it("is absent without GitHub CI, even when an older manifest still lists pins", () => {
    const gitlab = parseManifest({ ...base, ci: { providers: ["gitlab"] } });
    expect(gitlab.ci).not.toHaveProperty("actions");
    expect(parseManifest({ ...base, ci: { providers: [] } }).ci).not.toHaveProperty("actions");
    const stale = parseManifest({ ...base, ci: { providers: ["gitlab"], actions: parseManifest(base).ci.actions } });
    expect(stale.ci).not.toHaveProperty("actions");
  });

  it("comes back with the defaults when GitHub is added, and keeps a team's bumped pin", () => {
    const gitlab = parseManifest({ ...base, ci: { providers: ["gitlab"] } });
    const added = parseManifest({ ...gitlab, ci: { ...gitlab.ci, providers: ["gitlab", "github"] } });
    expect(added.ci.actions).toEqual(parseManifest(base).ci.actions);
    const bumped = { sha: "0123456789abcdef0123456789abcdef01234567", version: "v5.1.0" };
    const kept = parseManifest({ ...added, ci: { ...added.ci, actions: { ...added.ci.actions, "actions/checkout": bumped } } });
    expect(kept.ci.actions?.["actions/checkout"]).toEqual(bumped);
  });
});
