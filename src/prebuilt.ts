/**
 * What the build computes once instead of every run of the tool: the
 * Handlebars templates, compiled, the manifest's JSON Schema and the names
 * the templates reserve. This file
 * is the stand-in that src/ (vitest) sees: nothing prebuilt, so templates are
 * compiled when first used and the schema is derived from zod.
 * scripts/build.mjs replaces its contents in the bundle with the real values
 * (see prebuild.ts); compiling the ~80 templates cost create more than all
 * the rest of its work together.
 */
export interface PrecompiledTemplate {
  /** templateHash() of the source the spec was compiled from. */
  hash: string;
  /** What Handlebars.precompile returned, evaluated: the argument of env.template(). */
  spec: unknown;
}

/** By path under templates/ (the id render() passes). */
export const PRECOMPILED: Readonly<Record<string, PrecompiledTemplate>> = {};

/** manifestJsonSchema(), as computed at build time. */
export const MANIFEST_JSON_SCHEMA: object | undefined = undefined;

/** templateNames(), as read from templates/ at build time (so create reads no template to check a worker name). */
export const TEMPLATE_NAMES: import("./template-names.js").TemplateNames | undefined = undefined;
