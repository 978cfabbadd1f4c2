import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Code templates select whole files per choice (components.ts), with
 * Handlebars only for substitutions: a block that includes code for one
 * ingress, sink, router or transport and not another is the pattern that let
 * cmd/orchestrator's main_test.go and wire_*.go grow per-choice branches.
 * The files below still have such blocks; each is to be split, never added
 * to. A file leaves the list when its blocks go (the test says when).
 */
const TEMPLATES = join(import.meta.dirname, "../../templates");
const CODE = /\.(go|rs)\.hbs$/;
const CHOICE_BLOCK = /\{\{[#^](?:if|unless)\s+\(?(?:eq\s+)?(?:orchestrator\.|worker\.transport)/;
const NOT_YET_SPLIT = [
  "go-orchestrator/cmd/bootstrap/main.go.hbs",
  "go-orchestrator/cmd/produce/main.go.hbs",
  "go-orchestrator/internal/httpapi/router.go.hbs",
  "go-orchestrator/internal/ops/metrics.go.hbs",
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

describe("code templates", () => {
  it("choose per choice by whole files, not by blocks", () => {
    const withBlocks = files(TEMPLATES)
      .filter((f) => CODE.test(f) && CHOICE_BLOCK.test(readFileSync(f, "utf8")))
      .map((f) => relative(TEMPLATES, f))
      .sort();
    expect(withBlocks.filter((f) => !NOT_YET_SPLIT.includes(f)), "new per-choice blocks: select a file per choice in components.ts instead").toEqual([]);
    expect(NOT_YET_SPLIT.filter((f) => !withBlocks.includes(f)), "split already: drop it from NOT_YET_SPLIT").toEqual([]);
  });
});
