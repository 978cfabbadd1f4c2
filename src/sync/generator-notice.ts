import { MANIFEST_FILE } from "../manifest.js";
import { GENERATOR_NAME, GENERATOR_VERSION } from "../version.js";

/**
 * Said when the repo records another generator release than the one running:
 * sync renders this release's templates and records this version, so a run of
 * a checkout (HYBRID_BACKEND='node CHECKOUT/dist/cli.js') or of a stray global
 * install moved the repo to another release without a word. A newer recorded
 * version never gets here (generatorVersionProblem refuses it). sync --check
 * writes nothing and names both releases in its drift report (formatDrift).
 */
export function generatorNotice(recorded: string, dryRun: boolean): { line: string; json: { recorded: string; running: string } } | undefined {
  if (recorded === GENERATOR_VERSION) return undefined;
  const what = dryRun ? `would render its templates and record ${GENERATOR_VERSION}` : `renders its templates and records ${GENERATOR_VERSION}`;
  return {
    line: `note: ${MANIFEST_FILE} records ${GENERATOR_NAME} ${recorded}; this is ${GENERATOR_VERSION}, which ${what} (make sync runs the recorded release; make upgrade TO=VERSION moves the repo to another on purpose)`,
    json: { recorded, running: GENERATOR_VERSION },
  };
}
