import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CLI, tempDir } from "../helpers/cli.js";

/**
 * The bundle's templates come precompiled, so create needs Handlebars'
 * runtime only: the compiler (parser, code generator, source-map) is
 * neither loaded nor evaluated on a user's clock. Read from Node's own
 * record of the modules it loads (NODE_DEBUG=esm) during `create --yes`.
 */
describe("the modules create loads", () => {
  it("include no Handlebars compiler", () => {
    const r = spawnSync("node", [CLI, join(tempDir(), "app"), "--yes", "--no-git", "--no-validate"], { encoding: "utf8", env: { ...process.env, NODE_DEBUG: "esm" } });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const loaded = [...new Set(r.stderr.match(/file:\/\/\S*?\/dist\/chunks\/[\w-]+\.js/g) ?? [])];
    // Some chunks seen, so a change in Node's debug output fails here instead of passing on nothing.
    expect(loaded.length).toBeGreaterThan(3);
    // The compiler's generated parser, as its error messages name it.
    const withCompiler = loaded.filter((url) => readFileSync(fileURLToPath(url), "utf8").includes("Parse error on line"));
    expect(withCompiler).toEqual([]);
  });
});
