import { describe, expect, it } from "vitest";
import { isPrerelease } from "../../src/generator-version.js";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * The README's way to re-prove the repo runs the generator release the repo
 * records. npx fetches only a published one: a repo generated from a
 * checkout records main's X.Y.Z-dev, never published, where `npx
 * create-hybrid-backend@X.Y.Z-dev validate` answered E404. Such a repo's
 * README names the copy that wrote it instead, as for `make sync`.
 */
function readme(version: string): string {
  const m = parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" } } as never);
  m.generator.version = version;
  return render(m).get("README.md")!.content.toString("utf8");
}

describe("the README's generator commands", () => {
  it("for a released version, is npx of that release", () => {
    const text = readme("0.1.0");
    expect(text).toContain("`npx create-hybrid-backend@0.1.0 validate`");
    expect(text).not.toContain("dist/cli.js validate");
  });

  it.each(["0.2.0-dev", "1.0.0-rc.1"])("for the prerelease %s, runs the checkout that wrote the repo, not npx", (version) => {
    const text = readme(version);
    expect(text).not.toMatch(/npx [^`]*validate/);
    expect(text).toContain("`node CHECKOUT/dist/cli.js validate`");
    expect(text).toMatch(new RegExp(`${version.replaceAll(".", "\\.")} is a prerelease`));
    // The same copy make sync is told to use.
    expect(text).toContain("`make sync HYBRID_BACKEND='node CHECKOUT/dist/cli.js'`");
    // And every command block: none sends the user to npx for a release it cannot fetch.
    const blocks = [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
    expect(blocks.join("\n")).toContain("node CHECKOUT/dist/cli.js add worker");
    expect(blocks.filter((b) => b.includes(`create-hybrid-backend@${version}`))).toEqual([]);
  });

  it("for a released version, gives npx of that release in the manifest block", () => {
    const text = readme("0.1.0");
    expect(text).toMatch(/^npx create-hybrid-backend@0\.1\.0 add worker \w+ /m);
    expect(text).not.toMatch(/^node CHECKOUT\/dist\/cli\.js add worker/m);
  });

  it("takes only a prerelease part for one: build metadata is not", () => {
    expect([isPrerelease("0.2.0"), isPrerelease("0.2.0-dev"), isPrerelease("0.2.0+build-7"), isPrerelease("0.2.0-rc.1+b")]).toEqual([false, true, false, true]);
  });
});
