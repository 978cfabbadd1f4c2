import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * moto keeps what it holds in memory. A user who stops `make emulator` (Ctrl-C
 * in its terminal) and starts it again has none of the queue, stream or tables `make bootstrap` made,
 * and the orchestrator's calls fail until `make bootstrap` runs again; the
 * README's `make emulator` row says so, where a reader looks for the target.
 */
describe.each(["sqs", "kinesis"])("README make emulator row, %s", (ingress) => {
  const readme = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress } }))
    .get("README.md")!
    .content.toString("utf8");
  const row = readme.split("\n").find((line) => line.startsWith("| `make emulator` |"));

  it("says a restarted emulator needs make bootstrap again", () => {
    expect(row).toBeDefined();
    expect(row).toContain("in memory");
    expect(row).toContain("nothing `make bootstrap` created");
    expect(row).toMatch(/run `make bootstrap` again/);
  });
});
