// Bundles the CLI into dist/ with every runtime dependency inlined, so
// `npm create hybrid-backend` installs one small package and nothing else.
// Prompt and gRPC code land in their own chunks, loaded only when used.
import { build } from "esbuild";
import { chmodSync, cpSync, readFileSync, rmSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ["src/cli.ts"],
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "linked",
  chunkNames: "chunks/[name]-[hash]",
  define: {
    __GENERATOR_VERSION__: JSON.stringify(pkg.version),
    __BUF_VERSION__: JSON.stringify(pkg.hybridBackend.bufVersion),
  },
  // Bundled CommonJS packages (handlebars, grpc-js) still call require().
  banner: {
    js: 'import { createRequire as __hbCreateRequire } from "node:module"; const require = __hbCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
});
chmodSync(new URL("../dist/cli.js", import.meta.url), 0o755);
// Vendored JSON Schemas validate reads at run time (src/ is not published).
cpSync(new URL("../src/validate/schemas", import.meta.url), new URL("../dist/schemas", import.meta.url), { recursive: true });
// The OTLP trace proto the smoke's receiver loads.
cpSync(new URL("../src/validate/otlp/proto", import.meta.url), new URL("../dist/otlp-proto", import.meta.url), { recursive: true });
