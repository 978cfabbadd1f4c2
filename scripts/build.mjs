// Bundles the CLI into dist/ with every runtime dependency inlined, so
// `npm create hybrid-backend` installs one small package and nothing else.
// Prompt and gRPC code land in their own chunks, loaded only when used.
import { build } from "esbuild";
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const define = {
  __GENERATOR_VERSION__: JSON.stringify(pkg.version),
  __BUF_VERSION__: JSON.stringify(pkg.hybridBackend.bufVersion),
};

/**
 * The precompiled templates and the manifest's JSON Schema, computed by
 * src/prebuild.ts (bundled and run here, so build and tool share its code),
 * as the module that replaces src/prebuilt.ts in the bundle.
 */
async function prebuilt() {
  const scratch = mkdtempSync(join(tmpdir(), "hybrid-backend-build-"));
  try {
    const script = join(scratch, "prebuild.mjs");
    await build({
      entryPoints: ["src/prebuild.ts"],
      outfile: script,
      bundle: true,
      format: "esm",
      platform: "node",
      define,
      logLevel: "warning",
    });
    const { prebuiltModule } = await import(pathToFileURL(script).href);
    return prebuiltModule(fileURLToPath(new URL("../templates", import.meta.url)));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
const prebuiltSource = await prebuilt();
const prebuiltPlugin = {
  name: "prebuilt",
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]prebuilt\.ts$/ }, () => ({ contents: prebuiltSource, loader: "js" }));
  },
};

/**
 * Two of the prompts' dependencies, shaped for the bundle (together about
 * 0.6 MB of what `npm create` installed against its 5 MB budget):
 * - rxjs: inquirer imports it as ESM, but for platform node esbuild takes the
 *   package's "node" export, its CommonJS build, which cannot be tree-shaken,
 *   so all of rxjs was bundled for the few pieces inquirer uses. Its ES2015
 *   build (the "es2015" export; the package declares no side effects) keeps
 *   only those.
 * - @inquirer/external-editor: only inquirer's editor prompt uses it (to open
 *   $EDITOR, decoding the file with iconv-lite and chardet, most of that size),
 *   and no question of this tool is an editor one; inquirer registers every
 *   prompt type when loaded, so its import stays unless replaced. The stand-in
 *   fails loudly if a question ever becomes one (prompts.test.ts would).
 */
const rxjsEsm = join(createRequire(import.meta.url).resolve("rxjs/package.json"), "..", "dist", "esm", "index.js");
const promptDependencies = {
  name: "prompt-dependencies",
  setup(b) {
    b.onResolve({ filter: /^rxjs$/ }, () => ({ path: rxjsEsm }));
    b.onResolve({ filter: /^@inquirer\/external-editor$/ }, () => ({ path: "external-editor", namespace: "stand-in" }));
    b.onLoad({ filter: /.*/, namespace: "stand-in" }, () => ({
      contents: 'export function editAsync() { throw new Error("create-hybrid-backend bundles no editor prompt (@inquirer/external-editor)"); }',
      loader: "js",
    }));
  },
};

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
await build({
  plugins: [prebuiltPlugin, promptDependencies],
  // dist/cli.js is src/entry.ts, which enables the compile cache and then
  // loads the CLI (src/cli.ts) as a chunk.
  entryPoints: { cli: "src/entry.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "linked",
  chunkNames: "chunks/[name]-[hash]",
  define,
  // Bundled CommonJS packages (handlebars, grpc-js) still call require().
  banner: {
    js: 'import { createRequire as __hbCreateRequire } from "node:module"; const require = __hbCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
});
chmodSync(new URL("../dist/cli.js", import.meta.url), 0o755);
// Vendored JSON Schemas validate reads at run time (src/ is not published).
// The OTLP trace proto the smoke's receiver loads.
cpSync(new URL("../src/validate/otlp/proto", import.meta.url), new URL("../dist/otlp-proto", import.meta.url), { recursive: true });
// The collector config validator's Go main (src/validate/collector-validator.ts builds it).
cpSync(new URL("../src/validate/otelcol", import.meta.url), new URL("../dist/otelcol", import.meta.url), { recursive: true });
