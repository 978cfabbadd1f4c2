import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { TOOLCHAIN_DEFAULTS } from "../../src/toolchain-defaults.js";
import { render } from "../../src/render/index.js";
import { LINTERS } from "../../src/validate/linters.js";

const base = { name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" }, ci: { providers: ["github", "gitlab"] } };

/**
 * Every file of a rendered tree but the lock files, whose crate and module
 * versions are not tool pins, and the manifest's schema, which documents the defaults.
 */
function texts(manifest: object): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, file] of render(parseManifest(manifest))) {
    if (!/(^|\/)(Cargo\.lock|go\.sum|go\.mod|manifest\.schema\.json)$/.test(path)) out.set(path, file.content.toString("utf8"));
  }
  return out;
}

/**
 * The manifest owns the version of every tool a generated repo runs; templates
 * take it from there and the tool's own tests and validate from the same
 * default. So a repo cannot pass the e2e tests and fail its own `make lint`,
 * CI or `make emulator` (or the other way round), and a bump is one edit.
 */
describe("tool pins", () => {
  // Tools whose pin needs no digest beside it, so any release parses.
  const overrides = { staticcheck: "0.7.0", moto: "5.1.9", grpcurl: "1.9.3", govulncheck: "1.1.4", cargoDeny: "0.18.9" } as const;

  for (const ingress of ["http", "sqs", "kinesis"] as const) {
    it(`come from the manifest alone, in every file of the ${ingress} preset`, () => {
      const preset = ingress === "http" ? {} : { orchestrator: { ...base.orchestrator, ingress } };
      const tree = texts({ ...base, ...preset, toolchains: overrides });
      for (const [tool, release] of Object.entries(overrides)) {
        const pinned = TOOLCHAIN_DEFAULTS[tool as keyof typeof overrides];
        const stale = [...tree].filter(([, text]) => text.includes(pinned)).map(([path]) => path);
        expect(stale, `${tool} ${pinned} written as a literal`).toEqual([]);
        if (tool === "moto" && ingress === "http") continue;
        expect([...tree.values()].some((text) => text.includes(release)), `${tool} ${release} used`).toBe(true);
      }
    });
  }

  it("of the linters the e2e tests run are the releases a new manifest pins", () => {
    const manifest = parseManifest({ ...base });
    expect(LINTERS.staticcheck.version).toBe(manifest.toolchains.staticcheck);
    expect(LINTERS.cargoDeny.version).toBe(manifest.toolchains.cargoDeny);
    const tree = texts(base);
    expect(tree.get("Makefile")).toContain(`STATICCHECK_VERSION := ${manifest.toolchains.staticcheck}\n`);
    for (const ci of [".github/workflows/ci.yml", ".gitlab-ci.yml"]) {
      const pins = [...tree.get(ci)!.matchAll(/staticcheck@v([\w.-]+)/g)].map((m) => m[1]);
      expect(new Set(pins), ci).toEqual(new Set([manifest.toolchains.staticcheck]));
    }
  });
});
