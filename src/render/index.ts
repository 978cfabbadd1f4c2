import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import {
  MANIFEST_FILE,
  SCHEMA_FILE,
  manifestJsonSchema,
  type Manifest,
} from "../manifest.js";
import { TEMPLATES_DIR } from "../paths.js";
import { COMPONENTS, includes, targetName } from "./components.js";
import { renderTemplate } from "./handlebars.js";
import type { FileTree } from "./tree.js";

export type { FileTree, FileEntry } from "./tree.js";
export { sortedPaths } from "./tree.js";


/**
 * manifest → file tree. Pure with respect to the target: it reads only the
 * tool's own templates, so create, dry-run, sync and the golden tests all
 * share it.
 */
export function render(manifest: Manifest, templatesDir = TEMPLATES_DIR): FileTree {
  const tree: FileTree = new Map();
  for (const component of COMPONENTS) {
    const root = join(templatesDir, component.source);
    for (const rel of walk(root)) {
      const isTemplate = rel.endsWith(".hbs");
      const out = posix.join(
        component.target,
        ...rel.replace(/\.hbs$/, "").split("/").map(targetName),
      );
      if (!includes(out, manifest)) continue;
      const file = join(root, rel);
      const raw = readFileSync(file);
      const content = isTemplate
        ? Buffer.from(renderTemplate(`${component.source}/${rel}`, raw.toString("utf8"), manifest))
        : raw;
      if (tree.has(out)) throw new Error(`two templates render ${out}`);
      tree.set(out, { content, mode: modeOf(out) });
    }
  }
  tree.set(MANIFEST_FILE, json(manifest));
  tree.set(SCHEMA_FILE, json(manifestJsonSchema()));
  return new Map([...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** By rule, not from the template's disk mode, which npm and git may not keep. */
function modeOf(path: string): number {
  return path.endsWith(".sh") ? 0o755 : 0o644;
}

function json(value: unknown) {
  return { content: Buffer.from(`${JSON.stringify(value, null, 2)}\n`), mode: 0o644 };
}

/** Relative POSIX paths of every file under dir, skipping build output. */
function walk(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "target" || entry.name === "node_modules") continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...walk(join(dir, entry.name), rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}
