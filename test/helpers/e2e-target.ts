import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The one cargo target dir every e2e case builds into (DESIGN.md §7). Its own
 * module, free of src/ imports, so globalSetup files (which vitest loads
 * without the config's `define`s) can read it too.
 */
export const E2E_TARGET_DIR = process.env.CARGO_TARGET_DIR ?? join(fileURLToPath(new URL("../..", import.meta.url)), ".cache", "e2e-target");
