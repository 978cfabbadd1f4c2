import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package root, found by walking up from this module: the same answer
 * from the bundled dist/ chunk and from src/ under vitest.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "templates"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the create-hybrid-backend package root");
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
export const TEMPLATES_DIR = join(PACKAGE_ROOT, "templates");
