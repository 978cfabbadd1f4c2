import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * A new user's first `make build` took close to ten minutes and 3.7 GiB, and
 * the README said only "minutes". It now says what the first build costs, on
 * what machine that was measured, and why the release profile makes it slow:
 * the settings it names must be the ones workers/Cargo.toml has.
 */
describe("the README's first-build cost", () => {
  for (const ingress of ["http", "sqs", "kinesis"] as const) {
    it(`states time, disk and the machine, and the release profile as it is (${ingress})`, () => {
      const tree = render(parseManifest({ name: "cost-app", orchestrator: { module: "example.com/cost-app/orchestrator", ingress } }));
      const readme = tree.get("README.md")!.content.toString("utf8");
      const para = readme.split("\n\n").find((p) => p.startsWith("The first build"));
      expect(para, "a paragraph on the first build").toBeDefined();
      const text = para!.replace(/\s+/g, " ");
      expect(text).toMatch(/first `make build` took \d+ min \d+ s and left [\d.]+ GiB in `workers\/target\/`/);
      expect(text).toMatch(/`make test`.* \d+ min \d+ s/);
      expect(text).toMatch(/Measured on a \d-core/);
      // Exactly one place states the figure.
      expect(readme.match(/GiB/g)).toHaveLength(1);
      const cargo = tree.get("workers/Cargo.toml")!.content.toString("utf8");
      const profile = /^\[profile\.release\]\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(cargo)![1]!;
      for (const setting of text.match(/`(codegen-units|lto) = [^`]+`/g) ?? []) expect(profile).toMatch(new RegExp(`^${setting.slice(1, -1)}$`, "m"));
      expect(text).toContain("`codegen-units = 1`");
      expect(text).toContain('`lto = "thin"`');
    });
  }
});
