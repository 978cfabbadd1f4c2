import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TEMPLATES_DIR } from "../../src/paths.js";

/** The one number a template sets with `NAME = <integer>`, Go or Rust, `_` separators allowed. */
function constant(template: string, name: string): number {
  const text = readFileSync(join(TEMPLATES_DIR, template), "utf8");
  const match = new RegExp(`\\b${name}\\b[^=\\n]*=\\s*([0-9_]+)`).exec(text);
  if (!match) throw new Error(`${template} sets no ${name}`);
  return Number(match[1]!.replaceAll("_", ""));
}

describe("the worker's gRPC connection cap", () => {
  it("holds make bench's burst (also the overload e2e's) with room for the orchestrator, probes and tools", () => {
    // A burst past the cap has its extra connections closed on arrival: the
    // burst row would report failed calls that are the cap, not the worker.
    const cap = constant("worker-kit/src/connections.rs", "MAX_CONNECTIONS");
    const burst = constant("go-orchestrator/cmd/loadgen/burst.go.hbs", "burstClients");
    expect(burst).toBeGreaterThan(0);
    expect(burst).toBeLessThanOrEqual(cap * 0.9);
  });
});
