import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COLLECTOR_RELEASE, STACK_IMAGES } from "../../src/render/observability.js";
import { collectorValidatorSource } from "../../src/validate/collector-validator.js";

/**
 * One collector release: compose's contrib image and the config validator
 * (src/validate/otelcol) are the same release, so the collector's `validate`
 * in the e2e tests speaks for the collector `make up` starts. The collector's
 * 0.x modules (core and contrib) carry the release's number; its 1.x modules
 * follow from them in go.sum.
 */
const goMod = readFileSync(join(collectorValidatorSource(), "go.mod"), "utf8");
const required = [...goMod.matchAll(/^\s*(?:require\s+)?(\S+)\s+(v\d+\.\d+\.\d+\S*)/gm)].map(([, mod, version]) => ({ mod: mod!, version: version! }));
const collectorModules = required.filter(({ mod }) => mod.startsWith("go.opentelemetry.io/collector") || mod.startsWith("github.com/open-telemetry/opentelemetry-collector-contrib/"));

describe("the collector release", () => {
  it("tags compose's contrib image", () => {
    expect(STACK_IMAGES.collector).toBe(`otel/opentelemetry-collector-contrib:${COLLECTOR_RELEASE}`);
    expect(COLLECTOR_RELEASE).toMatch(/^0\.\d+\.\d+$/);
  });

  it("is the release of every 0.x collector module the validator is built from, core and contrib", () => {
    const zeroX = collectorModules.filter(({ version }) => version.startsWith("v0."));
    expect(zeroX.map(({ mod }) => mod)).toEqual(expect.arrayContaining(["go.opentelemetry.io/collector/otelcol", "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"]));
    for (const { mod, version } of zeroX) expect(version, mod).toBe(`v${COLLECTOR_RELEASE}`);
  });

  it("is one 1.x release for the stable modules beside it", () => {
    const oneX = new Set(collectorModules.filter(({ version }) => version.startsWith("v1.")).map(({ version }) => version));
    expect(oneX.size).toBe(1);
  });
});
