import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { withLedger } from "../../src/sync/ledger.js";
import { ROOT } from "../helpers/cli.js";

/**
 * examples/ is the tool's own output (npm run examples). Re-render each from
 * its recorded manifest and require the same files, byte for byte, so a
 * template change that is not regenerated fails here.
 */
const presets = Object.keys(JSON.parse(readFileSync(join(ROOT, "scripts", "presets.json"), "utf8")) as object);

describe.each(presets)("examples/%s", (preset) => {
  const dir = join(ROOT, "examples", preset);

  it("matches a fresh render of its manifest byte for byte", () => {
    const manifest = parseManifest(JSON.parse(readFileSync(join(dir, "hybrid-backend.json"), "utf8")));
    const tree = withLedger(render(manifest), manifest);
    const onDisk = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();
    expect(onDisk).toEqual([...tree.keys()]);
    for (const [path, entry] of tree) {
      expect(readFileSync(join(dir, path)).equals(entry.content), `${path} differs: run npm run examples`).toBe(true);
    }
  });
});
