import { execa } from "execa";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

/**
 * What `npm publish --provenance` would ship, read from `npm pack --dry-run`
 * (scripts ignored: the unit tests run against the dist/ that `npm test` or
 * `npm run build` made, and must not rebuild it under the other tests).
 */
interface Packed {
  name: string;
  version: string;
  files: { path: string; mode: number }[];
}

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

/** Every file under dir (relative to ROOT), skipping build output folders. */
function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true })
    .map((p) => join(dir, String(p)))
    .filter((p) => !/(^|\/)(target|node_modules)(\/|$)/.test(p) && statSync(join(ROOT, p)).isFile());
}

describe("npm pack", () => {
  let packed: Packed;
  let paths: string[];

  beforeAll(async () => {
    expect(existsSync(join(ROOT, "dist", "cli.js")), "run `npm run build` first").toBe(true);
    const { stdout } = await execa("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", "--loglevel=error"], {
      cwd: ROOT,
      stdin: "ignore",
    });
    packed = (JSON.parse(stdout) as Packed[])[0]!;
    paths = packed.files.map((f) => f.path);
  }, 60_000);

  it("ships the bundle, the templates (the .hbs only compiled, in the bundle), README, CHANGELOG, LICENSE and package.json, and nothing else", () => {
    const templates = walk("templates").filter((p) => !p.endsWith(".hbs"));
    const expected = [...walk("dist"), ...templates, "README.md", "CHANGELOG.md", "LICENSE", "package.json"];
    expect(paths.slice().sort()).toEqual(expected.sort());
    // Spelled out, since the list above is derived: no sources, tests, scripts, examples or CI.
    expect(paths.filter((p) => /^(src|test|scripts|examples|\.ci|\.github)\//.test(p))).toEqual([]);
  });

  it("has executable bins with a node shebang", () => {
    const bins = Object.values(pkg.bin as Record<string, string>);
    expect(bins.length).toBeGreaterThan(0);
    for (const bin of new Set(bins)) {
      const file = packed.files.find((f) => f.path === bin);
      expect(file, bin).toBeDefined();
      expect(file!.mode & 0o111, `${bin} mode ${file!.mode.toString(8)}`).toBe(0o111);
      expect(readFileSync(join(ROOT, bin), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
    }
  });

  it("carries the metadata publishing with provenance needs", () => {
    expect(packed.name).toBe("create-hybrid-backend");
    // A release, or main's next one as X.Y.Z-dev (README "Releasing"), which the release workflow never publishes.
    expect(packed.version).toMatch(/^\d+\.\d+\.\d+(-dev)?$/);
    expect(pkg.private).toBeUndefined();
    expect(pkg.publishConfig).toEqual({ access: "public", provenance: true });
    // npm checks the provenance statement's source repository against this
    // field; homepage and bugs are derived from it by npm at publish time.
    expect(pkg.repository).toEqual({ type: "git", url: expect.stringMatching(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/) });
    expect(pkg.license).toBe("MIT");
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License/);
    // The range the bundle targets (scripts/build.mjs: node20) and this machine satisfies.
    expect(pkg.engines.node).toMatch(/^>=20\.\d+$/);
    const [major, minor] = process.versions.node.split(".").map(Number);
    const [, wantMinor] = /^>=20\.(\d+)$/.exec(pkg.engines.node)!.map(Number);
    expect(major! > 20 || minor! >= wantMinor!).toBe(true);
    // Everything is bundled: `npm create` installs one package and nothing else.
    expect(pkg.dependencies).toBeUndefined();
  });
});
