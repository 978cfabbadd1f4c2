import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { precompiledIds } from "./handlebars.js";

/** One file of a component's template folder. */
export interface TemplateFile {
  /** POSIX path under the component's folder, `.hbs` kept. */
  rel: string;
  /**
   * The bytes on disk, read when first asked (render reads only the files
   * its project includes); undefined for a template that ships only compiled.
   */
  source(): Buffer | undefined;
}

/**
 * Every file under a templates folder, listed once for one render: each
 * component's files are a slice of it, where every component walked its own
 * folder after a walk of the whole folder had looked for sources, so each
 * folder was read twice (about 150 directory reads for a default create).
 */
export interface TemplateListing {
  dir: string;
  files: readonly string[];
  /** Whether any `.hbs` is there: false for the published package (see templateFiles). */
  hasSources: boolean;
}

export function templateListing(templatesDir: string): TemplateListing {
  const files = walk(templatesDir);
  return { dir: templatesDir, files, hasSources: files.some((rel) => rel.endsWith(".hbs")) };
}

/**
 * The files of `templatesDir/component`. The published package leaves the
 * `.hbs` sources out, since the bundle carries every one of them compiled
 * (shipping both cost 0.84 MB of a 5.2 MB install): a templates folder without
 * a single `.hbs` is that package, and the compiled templates' ids stand in
 * for its sources. A folder that has sources (this repository, a test's copy)
 * is read as it is, so a template edited, added or deleted after the build
 * takes effect without one.
 */
export function templateFiles(listing: TemplateListing, component: string): TemplateFile[] {
  const prefix = `${component}/`;
  const files: TemplateFile[] = listing.files
    .filter((rel) => rel.startsWith(prefix))
    .map((rel) => ({ rel: rel.slice(prefix.length), source: once(() => readFileSync(join(listing.dir, ...rel.split("/")))) }));
  if (!listing.hasSources) {
    for (const id of precompiledIds()) if (id.startsWith(prefix)) files.push({ rel: id.slice(prefix.length), source: () => undefined });
  }
  return files;
}

function once<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) [value, done] = [compute(), true];
    return value;
  };
}

/**
 * A component's partials folder. `partials/github/checks.yml.hbs` renders no
 * file of its own: its component's templates include it as
 * `{{> github/checks}}`, so a long generated file (a CI pipeline) can be kept
 * as an outline plus one template per concern while rendering as one file.
 */
const PARTIALS = "partials/";

/** The partial name of a template file (its path under partials/, up to the first dot of its file name), or undefined for a file that renders itself. */
export function partialName(rel: string): string | undefined {
  if (!rel.startsWith(PARTIALS) || !rel.endsWith(".hbs")) return undefined;
  return rel.slice(PARTIALS.length).replace(/\.[^/]*$/, "");
}

/** Relative POSIX paths of every file under dir, skipping build output. */
export function walk(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "target" || entry.name === "node_modules") continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...walk(join(dir, entry.name), rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}
