import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { OTEL_VARIABLES } from "../../src/render/otel-env.js";

/**
 * The orchestrator (telemetry.Exporting) and the workers (otel.rs
 * export_enabled) turn trace export on and off by the same OTEL_* variables,
 * and the README's table documents every one.
 */
describe("trace export switches", () => {
  const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator" }, workers: [{ name: "scorer" }] }));
  const text = (p: string) => tree.get(p)!.content.toString("utf8");
  const names = (body: string) => [...new Set([...body.matchAll(/"(OTEL_[A-Z_]+)"/g)].map((m) => m[1]!))].sort();
  const body = (src: string, start: RegExp) => {
    const from = src.search(start);
    expect(from).toBeGreaterThanOrEqual(0);
    return src.slice(from, src.indexOf("\n}", from));
  };

  it("are the same in Go and Rust, and documented", () => {
    const go = names(body(text("orchestrator/internal/telemetry/tracing.go"), /^func Exporting\(\)/m));
    const rust = names(body(text("workers/worker-kit/src/telemetry/otel.rs"), /^pub fn export_enabled\(/m));
    expect(go).toContain("OTEL_TRACES_EXPORTER");
    expect(go).toEqual(rust);
    const documented = OTEL_VARIABLES.map((v) => `${v.name} ${v.meaning}`).join("\n");
    for (const name of go) expect(documented, name).toContain(name);
    const readme = text("README.md");
    for (const v of OTEL_VARIABLES) expect(readme).toContain(`| orchestrator, workers | \`${v.name}\` |`);
  });
});
