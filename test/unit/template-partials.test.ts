import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { TEMPLATES_DIR } from "../../src/paths.js";
import { render } from "../../src/render/index.js";
import { partialName, walk } from "../../src/render/template-files.js";

/**
 * The CI pipelines are long single files; their templates are an outline
 * plus one partial per concern (templates/ci/partials/), so none passes the
 * project's file-size limit while each still renders as one file.
 */
const LIMIT = 300;

describe("template partials", () => {
  it("keeps every CI template, partials included, within the file-size limit", () => {
    const dir = join(TEMPLATES_DIR, "ci");
    const long = walk(dir)
      .map((rel) => ({ rel, lines: readFileSync(join(dir, rel), "utf8").split("\n").length - 1 }))
      .filter(({ lines }) => lines > LIMIT);
    expect(long).toEqual([]);
  });

  it("names a partial by its path under partials/, up to the first dot, and no other file", () => {
    expect(partialName("partials/github/checks.yml.hbs")).toBe("github/checks");
    expect(partialName("partials/x.hbs")).toBe("x");
    expect(partialName("dot-github/workflows/ci.yml.hbs")).toBeUndefined();
    expect(partialName("partials/notes.txt")).toBeUndefined();
  });

  it("renders no file of a partial's own, and includes each where it is named", () => {
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", router: "stdlib" }, ci: { providers: ["github", "gitlab"] } } as never));
    expect([...tree.keys()].filter((path) => path.includes("partials"))).toEqual([]);
    for (const path of [".github/workflows/ci.yml", ".gitlab-ci.yml"]) {
      const text = tree.get(path)!.content.toString("utf8");
      expect(text, path).not.toContain("{{>");
      // A job from each partial and from the outline.
      const jobs = ["proto", "rust-scorer", "smoke", "images", "audit", "publish", "sync"].map((job) => text.search(new RegExp(`^ {0,2}${job}:$`, "m")));
      expect(jobs.every((at) => at >= 0), `${path}: ${jobs.join(",")}`).toBe(true);
    }
  });
});
