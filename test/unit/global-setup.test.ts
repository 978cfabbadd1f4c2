import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import config from "../../vitest.config.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

// A static import or re-export (`import type` is erased, so it loads nothing), a side-effect or a dynamic import.
const IMPORT = /\b(?:import|export)\s+(type\s+)?(?:[^;"]*?\sfrom\s*)?"(\.{1,2}\/[^"]+)"|\bimport\(\s*"(\.{1,2}\/[^"]+)"/g;

/** Every local module FILE loads, transitively (a `.js` specifier names its `.ts` source). */
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
    if (m[1]) continue;
    const target = resolve(dirname(file), (m[2] ?? m[3])!);
    const ts = target.replace(/\.js$/, ".ts");
    if (existsSync(ts)) closure(ts, seen);
    else if (existsSync(target)) closure(target, seen);
  }
  return seen;
}

/**
 * vitest loads globalSetup files without the config's `define`s, so a module
 * they import (however indirectly) that reads one fails the whole e2e run
 * before any test ("__GENERATOR_VERSION__ is not defined"), which no unit
 * test would show.
 */
describe("the e2e globalSetup files", () => {
  const defines = Object.keys(config.define ?? {});
  const setups = (config.test?.projects as { test: { name: string; globalSetup?: string[] } }[]).flatMap((p) => p.test.globalSetup ?? []);

  it("import no module that reads a build-time define", () => {
    expect(defines.length).toBeGreaterThan(0);
    expect(setups.length).toBeGreaterThan(1);
    const readers = setups.flatMap((setup) =>
      [...closure(join(root, setup))]
        .filter((file) => defines.some((d) => readFileSync(file, "utf8").includes(d)))
        .map((file) => `${setup} -> ${file.slice(root.length)}`),
    );
    expect(readers).toEqual([]);
  });
});
