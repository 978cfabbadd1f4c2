import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * A generated repo has none of the generator's own files: a comment or
 * message pointing at src/render/... (or the generator's tests) there is a
 * dead end, unless it says whose file it is (provenance, "create-hybrid-backend's
 * src/render/settings.ts"). The same line or the one before must name the generator.
 */
const TEMPLATES = join(import.meta.dirname, "../../templates");
const GENERATOR_PATH = /\b(?:src\/(?:render|commands|sync|validate|write)\/|test\/(?:unit|e2e|helpers)\/)/;
const OWNER = /create-hybrid-backend|generator/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

describe("templates", () => {
  it("point at the generator's own files only as the generator's", () => {
    const dead: string[] = [];
    for (const file of files(TEMPLATES)) {
      const lines = readFileSync(file, "utf8").split("\n");
      lines.forEach((line, i) => {
        if (GENERATOR_PATH.test(line) && !OWNER.test(`${lines[i - 1] ?? ""}\n${line}`)) dead.push(`${relative(TEMPLATES, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(dead).toEqual([]);
  });
});
