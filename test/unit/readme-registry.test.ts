import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * The README's CI section says the registry was derived from the module path
 * only while it is: once the user sets `ci.registry` to their own and syncs,
 * as that same sentence tells them to, it says it is theirs.
 */
const readme = (registry?: string) =>
  render(
    parseManifest({
      name: "risk-api",
      orchestrator: { module: "example.com/risk-api/orchestrator", ingress: "sqs" },
      ci: { providers: ["gitlab"], ...(registry ? { registry } : {}) },
    }),
  )
    .get("README.md")!
    .content.toString("utf8");

describe("the README on ci.registry", () => {
  it("says derived for the derived one", () => {
    expect(readme()).toContain("derived from the module path");
  });
  it("does not say derived for one the user set", () => {
    const text = readme("registry.gitlab.com/acme/risk-api");
    expect(text).not.toContain("derived from the module path");
    expect(text).toContain("The registry is `ci.registry` in `hybrid-backend.json`, `registry.gitlab.com/acme/risk-api`");
  });
});
