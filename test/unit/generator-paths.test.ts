import { existsSync, readFileSync, readdirSync } from "node:fs";
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

/**
 * A Rust template naming a folder the worker crates have too (worker-kit's
 * own src/validate/) points into the generated repo, not at the generator.
 */
function ownOfItsCrate(file: string, path: string): boolean {
  const crate = relative(TEMPLATES, file).split("/")[0];
  return (crate === "worker-kit" || crate === "rust-worker") && existsSync(join(TEMPLATES, "worker-kit", path));
}

describe("templates", () => {
  it("point at the generator's own files only as the generator's", () => {
    const dead: string[] = [];
    for (const file of files(TEMPLATES)) {
      const lines = readFileSync(file, "utf8").split("\n");
      lines.forEach((line, i) => {
        const path = GENERATOR_PATH.exec(line)?.[0];
        if (path === undefined || OWNER.test(`${lines[i - 1] ?? ""}\n${line}`) || ownOfItsCrate(file, path)) return;
        dead.push(`${relative(TEMPLATES, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(dead).toEqual([]);
  });
});
