import { describe, expect, it } from "vitest";
import { CI_PROVIDERS, parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/** The README's CI section spoke of "both providers" in a repo with one pipeline. */
describe("the README's CI section counts the providers the repo has", () => {
  const readme = (providers: string[]) =>
    render(parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress: "sqs" }, ci: { providers } }))
      .get("README.md")!
      .content.toString("utf8")
      .replace(/\s+/g, " ");

  it.each(CI_PROVIDERS)("%s alone: no second provider is mentioned", (provider) => {
    const text = readme([provider]);
    expect(text).toContain("run only when a file they read changes");
    expect(text).not.toContain("both providers");
  });

  it("both: says they list the same files", () => {
    expect(readme([...CI_PROVIDERS])).toContain("(both providers list the same files)");
  });
});
