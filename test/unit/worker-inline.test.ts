import { expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/** Both READMEs say where a worker scores, as src/service/mod.rs does it: small calls inline, big batches on rayon. */
it("the worker README gives the inline batch limit the code has", () => {
  const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator" }, workers: [{ name: "scorer" }] }));
  const text = (p: string) => tree.get(p)!.content.toString("utf8");
  const limit = /^pub const INLINE_MAX_ITEMS: usize = (\d+);$/m.exec(text("workers/worker-kit/src/service/mod.rs"))![1]!;
  const readme = text("workers/scorer/README.md").replace(/\s+/g, " ");
  expect(readme).toContain(`a batch of at most ${limit} (\`INLINE_MAX_ITEMS\`), is scored inline on the runtime thread`);
  expect(readme).not.toMatch(/never on the async runtime/);
  expect(text("README.md").replace(/\s+/g, " ")).toContain("single requests and small batches inline");
});
