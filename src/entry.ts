#!/usr/bin/env node
import * as nodeModule from "node:module";

/**
 * The bin (dist/cli.js): turns on Node's on-disk cache of V8 compiled code
 * (Node >= 22.1; absent before, so a no-op on Node 20) BEFORE the bundle is
 * loaded, then runs the CLI. Parsing and compiling the bundle's chunks is a
 * large part of create's start-up; with the cache, later runs skip it.
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off, NODE_COMPILE_CACHE=DIR moves it.
 */
const { enableCompileCache } = nodeModule as { enableCompileCache?: () => unknown };
try {
  enableCompileCache?.();
} catch {
  /* an unwritable cache folder only costs speed */
}
await import("./cli.js");
