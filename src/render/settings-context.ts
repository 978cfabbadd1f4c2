import type { Manifest } from "../manifest.js";
import { OTEL_VARIABLES } from "./otel-env.js";
import { ruleLine, settingExamples } from "./setting-rules.js";
import { SYNTHETIC_COUNT_MAX, orchestratorSettings, type RunScope, type ServiceSettings, type Setting, type SharedSetting } from "./settings.js";
import { WORKER_METRICS_PORT_OFFSET } from "./telemetry.js";
import { workerSettings } from "./worker-settings.js";
import type { WorkerContext } from "./workers.js";

// The settings tables (settings.ts, worker-settings.ts) as the templates see them: README
// cells, the scripts' rules and the examples each service's own parser is tested on.

/** The scripts' rules: not for an address they place themselves (a worker's LISTEN_ADDR, from WORKER_<NAME>_ADDR). */
function ruleLines(rows: readonly (Setting & { run?: RunScope })[]): string[] {
  return rows.flatMap((r) => (r.rule && r.run !== "placed" ? [ruleLine(r.name, r.rule)] : []));
}

/** A string as a Go or Rust literal: JSON's escapes, with Rust's spelling of \u. */
const literal = (v: string) => JSON.stringify(v).replace(/\\u([0-9a-f]{4})/g, "\\u{$1}");

/**
 * Every setting's examples (settingExamples), for the tests rendered into the repo that run
 * config.go's and worker-kit's own parsers on them: each a row of a Go and a Rust table of
 * (name, value, whether the service takes it).
 */
function exampleRows(rows: readonly Setting[]): { go: string; rust: string }[] {
  return rows.flatMap((r) => {
    const { bad, good } = settingExamples(r);
    const row = (v: string, ok: boolean) => `"${r.name}", ${literal(v)}, ${ok}`;
    return [...bad.map((v) => row(v, false)), ...good.map((v) => row(v, true))].map((e) => ({ go: `{${e}}`, rust: `(${e})` }));
  });
}

/** The README's default cell: the value in backticks, or its description. */
export function docDefault(s: Setting): string {
  return s.doc ?? (s.default ? `\`${s.default}\`` : "");
}

/** A setting as templates see it: with its README cell and the quoting each language needs. */
export interface SettingView extends Setting {
  cell: string;
}

export interface ServiceView extends Omit<ServiceSettings, "settings"> {
  settings: SettingView[];
  /** The settings that name an AWS resource, with AWS's limits on the name: config.go's nameRules. */
  nameRules: Setting[];
}

/**
 * What templates see: `settings.orchestrator`, and `settings.worker` (the
 * worker being rendered, or, for the root README, the primary with its
 * address described per worker).
 */
export function settingsContext(m: Manifest, workers: readonly WorkerContext[], worker?: WorkerContext) {
  const view = (s: ServiceSettings): ServiceView => ({
    ...s,
    settings: s.settings.map((row) => ({ ...row, cell: docDefault(row) })),
    nameRules: s.settings.filter((row) => row.rule?.kind === "name"),
  });
  const own = workerSettings(worker ?? workers[0]!, m);
  const otel = OTEL_VARIABLES.map((row) => ({ ...row, cell: docDefault(row) }));
  const names = (rows: readonly SharedSetting[], run: RunScope) => rows.filter((r) => r.run === run).map((r) => r.name);
  // The scripts' table (scripts/services.sh): the orchestrator shares only the OTEL_* variables with the workers.
  const run = {
    orchestrator: { shared: names(OTEL_VARIABLES, "shared"), own: names(OTEL_VARIABLES, "own") },
    worker: { shared: [...names(own.settings, "shared"), ...names(OTEL_VARIABLES, "shared")], own: [...names(own.settings, "own"), ...names(OTEL_VARIABLES, "own")] },
    refusedEntries: [...OTEL_VARIABLES, ...own.settings].flatMap((r) => (r.ownEntry ? [{ name: r.name, entry: r.ownEntry.key, use: r.ownEntry.use }] : [])),
    // Each service's rules (check_values), from the same tables its parser is rendered from.
    rules: { orchestrator: ruleLines(orchestratorSettings(m, workers).settings), worker: ruleLines(own.settings) },
  };
  const examples = { orchestrator: exampleRows(orchestratorSettings(m, workers).settings), worker: exampleRows(own.settings) };
  if (!worker) {
    // The root README has one row per setting for every worker: what differs by worker is named by NAME.
    const perWorker: Record<string, string> = {
      LISTEN_ADDR: "`0.0.0.0:` its port (Workers, above)",
      MODEL_PATH: "embedded `workers/NAME/model/model.json`",
      METRICS_ADDR: `\`0.0.0.0:\` its port + ${WORKER_METRICS_PORT_OFFSET}`,
    };
    own.settings = own.settings.map((s) => ({ ...s, ...(perWorker[s.name] ? { doc: perWorker[s.name] } : {}), meaning: s.meaning + underRun(s, false) }));
    return { orchestrator: view(orchestratorSettings(m, workers)), worker: view(own), otel: otel.map((s) => ({ ...s, meaning: s.meaning + underRun(s, true) })), run, examples, syntheticMax: SYNTHETIC_COUNT_MAX };
  }
  return { orchestrator: view(orchestratorSettings(m, workers)), worker: view(own), otel, run, examples, syntheticMax: SYNTHETIC_COUNT_MAX };
}

/**
 * What the root README's Configuration table says of a setting under `make run`
 * (one environment for every service), as scripts/services.sh does it: the
 * per-service names, and whether the plain one reaches every service.
 */
function underRun(s: SharedSetting, orchestratorToo: boolean): string {
  const perService = `${orchestratorToo ? `\`ORCHESTRATOR_${s.name}\` or ` : ""}\`WORKER_<NAME>_${s.name}\``;
  const every = orchestratorToo ? "every service" : "every worker";
  switch (s.run) {
    case "placed":
      return "; `make run`: `WORKER_<NAME>_ADDR`";
    case "own":
      return `; \`make run\`: only by ${perService}, per ${orchestratorToo ? "service" : "worker"} (it refuses \`${s.name}\`)`;
    case "shared":
      return `; \`make run\`: ${every}, or one by ${perService}${s.name === "METRICS_ADDR" ? " (neither set: derived, see above)" : ""}${
        s.ownEntry ? ` (it refuses a \`${s.ownEntry.key}\` entry in \`${s.name}\`, one for every service: set \`${s.ownEntry.use}\` per service)` : ""
      }`;
  }
}
