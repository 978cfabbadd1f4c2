import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { LINTERS } from "../../src/validate/linters.js";

/**
 * The e2e tests hold generated repos to staticcheck at the pin in
 * src/validate/linters.ts; the generated Makefile and CI run their own pin.
 * They must be the same release, or a repo could pass the tests and fail its
 * own `make lint` or CI (or the other way round).
 */
describe("linter pins", () => {
  const tree = render(
    parseManifest({
      name: "risk-api",
      orchestrator: { module: "example.com/risk-api/orchestrator", router: "stdlib" },
      ci: { providers: ["github", "gitlab"] },
    }),
  );
  const text = (path: string) => tree.get(path)!.content.toString("utf8");

  it("match the staticcheck release the generated Makefile and CI run", () => {
    const { version } = LINTERS.staticcheck;
    expect(text("Makefile")).toContain(`STATICCHECK_VERSION := ${version}\n`);
    for (const ci of [".github/workflows/ci.yml", ".gitlab-ci.yml"]) {
      const pins = [...text(ci).matchAll(/staticcheck@v([\w.-]+)/g)].map((m) => m[1]);
      expect(pins.length, ci).toBeGreaterThan(0);
      expect(new Set(pins), ci).toEqual(new Set([version]));
    }
  });

  it("match the cargo-deny release the manifest pins for the generated audit job", () => {
    const manifest = parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" } });
    expect(manifest.toolchains.cargoDeny).toBe(LINTERS.cargoDeny.version);
  });
});
