import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestJsonSchema, parseManifest } from "../../src/manifest.js";
import { TEMPLATES_DIR } from "../../src/paths.js";
import { prebuiltModule, withoutHelperLocations } from "../../src/prebuild.js";
import type { PrecompiledTemplate } from "../../src/prebuilt.js";
import { COMPILE_OPTIONS, templateHash, templateStats, usePrecompiled } from "../../src/render/handlebars.js";
import Handlebars from "handlebars";
import { render, type FileTree } from "../../src/render/index.js";
import { type TemplateNames, templateNames } from "../../src/template-names.js";
import { ROOT } from "../helpers/cli.js";

/**
 * The bundle renders from templates compiled at build time (prebuild.ts)
 * and writes the schema computed there; src/ compiles and derives them at run
 * time. Both paths must give the same bytes for every preset.
 */
const presets = Object.keys(JSON.parse(readFileSync(join(ROOT, "scripts", "presets.json"), "utf8")) as object);
const manifestOf = (preset: string) => parseManifest(JSON.parse(readFileSync(join(ROOT, "examples", preset, "hybrid-backend.json"), "utf8")));

let prebuilt: { PRECOMPILED: Record<string, PrecompiledTemplate>; MANIFEST_JSON_SCHEMA: object; TEMPLATE_NAMES: TemplateNames };
let scratch: string;
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "hb-prebuilt-"));
  const file = join(scratch, "prebuilt.mjs");
  writeFileSync(file, prebuiltModule(TEMPLATES_DIR));
  prebuilt = await import(pathToFileURL(file).href);
});
afterAll(() => {
  usePrecompiled({});
  rmSync(scratch, { recursive: true, force: true });
});

function renderWith(specs: Record<string, PrecompiledTemplate>, preset: string): { tree: FileTree; stats: ReturnType<typeof templateStats> } {
  usePrecompiled(specs);
  const tree = render(manifestOf(preset));
  return { tree, stats: templateStats() };
}

describe.each(presets)("prebuilt templates, %s", (preset) => {
  it("render the same bytes as templates compiled at run time, and none is compiled", () => {
    const compiled = renderWith({}, preset);
    const built = renderWith(prebuilt.PRECOMPILED, preset);
    expect(built.stats.compiled).toBe(0);
    expect(built.stats.precompiled).toBe(compiled.stats.compiled);
    expect([...built.tree.keys()]).toEqual([...compiled.tree.keys()]);
    for (const [path, entry] of compiled.tree) expect(built.tree.get(path)!.content.equals(entry.content), path).toBe(true);
  });
});

/** templates/ as npm packs it (package.json "files"): no .hbs, no build output, no empty folder. */
function packTemplates(to: string): void {
  for (const rel of readdirSync(TEMPLATES_DIR, { recursive: true }).map(String)) {
    const from = join(TEMPLATES_DIR, rel);
    if (rel.endsWith(".hbs") || /(^|[\\/])(target|node_modules)([\\/]|$)/.test(rel) || !statSync(from).isFile()) continue;
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    copyFileSync(from, join(to, rel));
  }
}

describe("prebuilt", () => {
  it("a templates folder shipped without its .hbs sources (the published package) renders the same bytes", () => {
    const stripped = join(scratch, "templates");
    packTemplates(stripped);
    for (const preset of presets) {
      const good = renderWith(prebuilt.PRECOMPILED, preset).tree;
      usePrecompiled(prebuilt.PRECOMPILED);
      const tree = render(manifestOf(preset), stripped);
      expect([...tree.keys()], preset).toEqual([...good.keys()]);
      for (const [path, entry] of good) expect(tree.get(path)!.content.equals(entry.content), `${preset}: ${path}`).toBe(true);
    }
  });

  it("without sources, the compiled templates are the list: one left out of the bundle is not rendered", () => {
    const stripped = join(scratch, "bare");
    packTemplates(stripped);
    const { ["root/Makefile.hbs"]: _dropped, ...rest } = prebuilt.PRECOMPILED;
    usePrecompiled(rest);
    const tree = render(manifestOf("http-stdlib"), stripped);
    expect(tree.has("Makefile")).toBe(false);
    usePrecompiled(prebuilt.PRECOMPILED);
    expect(render(manifestOf("http-stdlib"), stripped).has("Makefile")).toBe(true);
  });

  it("a spec whose source changed since the build is not used: the template is compiled afresh", () => {
    // The README's spec (and hash) under the Makefile's id: rendering it would write the README there.
    const stale = { ...prebuilt.PRECOMPILED, "root/Makefile.hbs": prebuilt.PRECOMPILED["root/README.md.hbs"]! };
    const good = renderWith(prebuilt.PRECOMPILED, "http-stdlib").tree;
    const { tree, stats } = renderWith(stale, "http-stdlib");
    expect(stats.compiled).toBe(1);
    for (const [path, entry] of good) expect(tree.get(path)!.content.equals(entry.content), path).toBe(true);
  });

  it("hashes what it compiled", () => {
    const source = readFileSync(join(TEMPLATES_DIR, "root", "README.md.hbs"), "utf8");
    expect(prebuilt.PRECOMPILED["root/README.md.hbs"]!.hash).toBe(templateHash(source));
  });

  it("the schema computed at build time is the one zod derives", () => {
    expect(prebuilt.MANIFEST_JSON_SCHEMA).toEqual(manifestJsonSchema());
  });

  it("the names the templates reserve, read at build time, are the ones read from them now", () => {
    expect(prebuilt.TEMPLATE_NAMES).toEqual(templateNames());
    expect(prebuilt.TEMPLATE_NAMES.composeServices).toContain("orchestrator");
  });

  // Each helper call's source location was ~60 KB of the bundle that nothing reads;
  // the line a missing variable is on, which strict mode reports, is kept.
  it("carries no helper call's source location, and a missing variable still names its line", () => {
    const module = prebuiltModule(TEMPLATES_DIR);
    expect(module).toContain('"column":');
    expect(module).not.toContain('"loc":{');
    const source = "{{#if (eq a 1)}}\n  {{missing}}\n{{/if}}\n";
    const raw = Handlebars.precompile(source, { ...COMPILE_OPTIONS }) as string;
    expect(raw).toContain('"loc":{');
    const stripped = withoutHelperLocations(raw);
    expect(stripped.length).toBeLessThan(raw.length);
    const template = Handlebars.template(new Function(`return ${stripped}`)());
    expect(() => template({ a: 1 }, { helpers: { eq: (x: unknown, y: unknown) => x === y } })).toThrow(/"missing" not defined in .* - 2:4/);
    expect(template({ a: 2 }, { helpers: { eq: (x: unknown, y: unknown) => x === y } })).toBe("");
  });
});
