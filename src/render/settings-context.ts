import type { Manifest } from "../manifest.js";
import { OTEL_VARIABLES } from "./otel-env.js";
import { posix } from "node:path";
import { CONTRACT_LIMITS, SOCKET_EXAMPLES, distinctPortExamples, ruleLine, settingExamples, type ListenPair } from "./setting-rules.js";
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

/** The pairs of a service's listen settings that may not share a port (distinctPort), each with its rule's port. */
export function listenPairs(rows: readonly Setting[]): ListenPair[] {
  const listen = (name: string) => {
    const rule = rows.find((r) => r.name === name)?.rule;
    if (rule?.kind !== "addr") throw new Error(`${name}: a distinctPort names listen addresses only`);
    return { name, port: rule.port, port0: rule.port0 };
  };
  return rows.flatMap((r) => (r.distinctPort ? [{ first: listen(r.distinctPort), second: listen(r.name) }] : []));
}

/**
 * Each pair's examples (distinctPortExamples), for the same tests as exampleRows: a row of a Go
 * table of (the variables, the setting refused, the one it names, whether taken).
 */
function pairRows(rows: readonly Setting[]): string[] {
  return listenPairs(rows).flatMap((pair) =>
    distinctPortExamples(pair).map(({ vars, ok }) => `{[]string{${vars.map(([n, v]) => literal(`${n}=${v}`)).join(", ")}}, "${pair.second.name}", "${pair.first.name}", ${ok}}`),
  );
}

/** The worker's one pair (worker-kit checks one), its examples as Rust rows of (first's value, second's, whether taken): rows short enough for rustfmt to keep on a line. */
function workerPair(rows: readonly Setting[]) {
  const pairs = listenPairs(rows);
  if (pairs.length !== 1) throw new Error(`worker-kit's config checks one pair of listen addresses, not ${pairs.length}`);
  const pair = pairs[0]!;
  return { first: pair.first.name, second: pair.second.name, rows: distinctPortExamples(pair).map(({ vars, ok }) => `(${literal(vars[0]![1])}, ${literal(vars[1]![1])}, ${ok})`) };
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
  // Where make gen writes the contract's limits: buf.gen.yaml's out, the plugin's file, its test's path to it.
  const contractLimits = {
    ...CONTRACT_LIMITS,
    path: `${CONTRACT_LIMITS.dir}/${CONTRACT_LIMITS.file}`,
    fromPlugin: posix.relative("orchestrator/internal/validation/protoc-gen-limits", `${CONTRACT_LIMITS.dir}/${CONTRACT_LIMITS.file}`),
  };
  const examples = {
    orchestrator: exampleRows(orchestratorSettings(m, workers).settings),
    worker: exampleRows(own.settings),
    orchestratorPairs: pairRows(orchestratorSettings(m, workers).settings),
    workerPair: workerPair(own.settings),
    // The unix:// addresses a worker binds and refuses, for config.go's addrs, which dials them.
    sockets: [...SOCKET_EXAMPLES.bad.map((v) => `{${literal(v)}, false}`), ...SOCKET_EXAMPLES.good.map((v) => `{${literal(v)}, true}`)],
  };
  if (!worker) {
    // The root README has one row per setting for every worker: what differs by worker is named by NAME.
    const perWorker: Record<string, string> = {
      LISTEN_ADDR: "`0.0.0.0:` its port (Workers, above)",
      MODEL_PATH: "embedded `workers/NAME/model/model.json`",
      METRICS_ADDR: `\`0.0.0.0:\` its port + ${WORKER_METRICS_PORT_OFFSET}`,
    };
    own.settings = own.settings.map((s) => ({ ...s, ...(perWorker[s.name] ? { doc: perWorker[s.name] } : {}), meaning: s.meaning + underRun(s, false) }));
    return { orchestrator: view(orchestratorSettings(m, workers)), worker: view(own), otel: otel.map((s) => ({ ...s, meaning: s.meaning + underRun(s, true) })), run, examples, syntheticMax: SYNTHETIC_COUNT_MAX, contractLimits };
  }
  return { orchestrator: view(orchestratorSettings(m, workers)), worker: view(own), otel, run, examples, syntheticMax: SYNTHETIC_COUNT_MAX, contractLimits };
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
