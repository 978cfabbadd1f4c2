import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { touchEntry } from "../cache/entries.js";
import { PACKAGE_ROOT } from "../paths.js";
import { COLLECTOR_RELEASE } from "../render/observability.js";
import { cacheDir } from "./cache.js";
import { spawn } from "./exec.js";
import { makeDirs } from "../make-dirs.js";

/**
 * The OpenTelemetry Collector's own config check for the generated
 * observability/otel-collector.yaml: a minimal distribution (src/validate/otelcol,
 * the config's components only, at COLLECTOR_RELEASE, the release compose's image
 * is pinned to) built with `go build` from the Go module proxy into its own cache
 * entry, once, like the Go linters in linters.ts. A cold build takes minutes
 * (some 200 modules), so validate does not run it; the e2e tests do.
 */
export const COLLECTOR_VALIDATOR = "otelcol-validate";

/** The Go main's folder: src/ in a checkout, dist/ (copied by the build) in the published package. */
export function collectorValidatorSource(): string {
  const candidates = [join(PACKAGE_ROOT, "src", "validate", "otelcol"), join(PACKAGE_ROOT, "dist", "otelcol")];
  const dir = candidates.find((d) => existsSync(join(d, "go.mod")));
  if (!dir) throw new Error(`the collector validator's source is missing (looked in ${candidates.join(", ")})`);
  return dir;
}

/** Where the build for this release lives in the cache. */
export function collectorValidatorDir(): string {
  return join(cacheDir(), `${COLLECTOR_VALIDATOR}-${COLLECTOR_RELEASE}`);
}

/** The validator binary, built on first use. Run it as `<exe> validate --config=<file>`. */
export async function ensureCollectorValidator(note: (msg: string) => void = () => {}): Promise<string> {
  const dir = collectorValidatorDir();
  const exe = join(dir, COLLECTOR_VALIDATOR);
  if (existsSync(exe)) {
    touchEntry(dir);
    return exe;
  }
  makeDirs(dir);
  touchEntry(dir);
  note(`building the OpenTelemetry Collector ${COLLECTOR_RELEASE} config validator into ${dir} (once; minutes)`);
  // Built under a private name and renamed: two runs building at once never leave a half-written binary.
  const partial = `${exe}.${process.pid}.partial`;
  try {
    // GOFLAGS replaces a user's (say -mod=vendor); go.sum is complete, so nothing is written beside the source.
    // GOWORK=off: a go.work above a checkout must not pull the module into another workspace.
    await spawn("go", ["build", "-trimpath", "-ldflags", `-s -w -X main.version=${COLLECTOR_RELEASE}`, "-o", partial, "."], {
      cwd: collectorValidatorSource(),
      env: { GOFLAGS: "-mod=readonly", GOWORK: "off" },
      stdin: "ignore",
    });
    renameSync(partial, exe);
  } finally {
    rmSync(partial, { force: true });
  }
  return exe;
}
