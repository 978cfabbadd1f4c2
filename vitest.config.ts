import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

export default defineConfig({
  // The same constants scripts/build.mjs injects into the bundle.
  define: {
    __GENERATOR_VERSION__: JSON.stringify(pkg.version),
    __BUF_VERSION__: JSON.stringify(pkg.hybridBackend.bufVersion),
  },
  test: {
    // One temp folder per run (TMPDIR), emptied after each file and removed at the end.
    globalSetup: ["test/helpers/temp-root.ts"],
    setupFiles: ["test/helpers/temp-cleanup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/golden/**/*.test.ts"],
          // Many unit tests run the built CLI and real git several times; on a
          // 2-core machine busy with the e2e project's builds, 5 s is not enough.
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          // The disk check (before the linters, so their download counts
          // against the budget), then the pinned linters, fetched once per run
          // before any e2e file.
          globalSetup: ["test/helpers/temp-root.ts", "test/helpers/disk-setup.ts", "test/helpers/linters-setup.ts"],
          // Real go/cargo builds on a 2-core machine: one file at a time.
          fileParallelism: false,
          testTimeout: 20 * 60_000,
          hookTimeout: 20 * 60_000,
        },
      },
    ],
  },
});
