import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const bench = (...args: string[]) => spawnSync("node", ["scripts/bench.mjs", ...args], { encoding: "utf8", timeout: 30_000 });

/**
 * npm run bench's own arguments, refused before it packs, installs or
 * times anything (exit 2, naming the option and the value).
 */
describe("npm run bench arguments", () => {
  it("--against names a built checkout of the tool, or is refused", () => {
    const empty = mkdtempSync(join(tmpdir(), "bench-against-"));
    const r = bench("--against", empty);
    expect(r.status).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`bench: --against ${JSON.stringify(empty)}: a checkout of this tool with dist/cli.js built (npm run build there)`);
    expect(r.stdout).toBe("");
  });

  it("lists --against in its usage", () => {
    const r = bench("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("[--against DIR]");
  });
});
