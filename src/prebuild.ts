import { readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";
import { manifestJsonSchema } from "./manifest.js";
import { COMPILE_OPTIONS, templateHash } from "./render/handlebars.js";
import { walk } from "./render/template-files.js";
import { templateNamesIn } from "./template-names.js";

/**
 * The source of the module scripts/build.mjs bundles in place of
 * prebuilt.ts. Templates: every `.hbs` under templatesDir, precompiled with
 * the options renderTemplate compiles with, keyed by its path under
 * templatesDir and tagged with its source's hash, so a template edited after
 * the build is compiled at run time instead of rendering a stale spec. The
 * schema is a pure function of the bundled code, so it cannot go stale; the
 * reserved names are read from the templates the bundle ships with.
 */
export function prebuiltModule(templatesDir: string): string {
  const entries = hbsSources(templatesDir).map((id) => {
    const source = readFileSync(join(templatesDir, ...id.split("/")), "utf8");
    // A copy: precompile writes its defaults into the options it is given.
    const spec = withoutHelperLocations(Handlebars.precompile(source, { ...COMPILE_OPTIONS }) as string);
    return `${JSON.stringify(id)}:{hash:${JSON.stringify(templateHash(source))},spec:${spec}}`;
  });
  return [
    `export const PRECOMPILED = {${entries.join(",\n")}};`,
    `export const MANIFEST_JSON_SCHEMA = ${JSON.stringify(manifestJsonSchema())};`,
    `export const TEMPLATE_NAMES = ${JSON.stringify(templateNamesIn(templatesDir))};`,
    "",
  ].join("\n");
}

/** Relative POSIX paths of the `.hbs` files under dir (build output skipped, as render's walk does). */
function hbsSources(dir: string): string[] {
  return walk(dir)
    .filter((rel) => rel.endsWith(".hbs"))
    .sort();
}

/**
 * A precompiled spec without the source location handed to each helper call
 * in its options (`,"loc":{"start":{...},"end":{...}}`): the runtime never
 * reads it (its errors name the helper, not the place), while it was about
 * 60 KB of the bundle, 1044 calls, the margin by which the package outgrew
 * its 5 MB install budget. Handlebars has no option to leave it out. The
 * locations strict mode passes to container.strict() for a missing variable
 * are kept: they name the template line in the error. The pattern needs
 * bare quotes, which a template's text inside a JS string literal never has
 * (precompile escapes them), so only code matches.
 */
export function withoutHelperLocations(spec: string): string {
  return spec.replace(/,"loc":\{"start":\{"line":\d+,"column":\d+\},"end":\{"line":\d+,"column":\d+\}\}/g, "");
}
