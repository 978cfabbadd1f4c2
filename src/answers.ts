import { basename, resolve } from "node:path";
import type { ParsedArgs } from "./args.js";
import { UsageError } from "./errors.js";
import { checkJsonDepth } from "./json-depth.js";
import { readUserText } from "./user-file.js";
import { checkConfigGenerator } from "./generator-version.js";
import { type Origin, fieldAt, flagField, fromFlags, listFlagAllowed } from "./manifest-faults.js";
import {
  CI_PROVIDERS,
  DEFAULT_WORKERS,
  DEPLOY_TARGETS,
  defaultModule,
  givenFault,
  manifestJsonSchema,
  parseManifest,
  projectName,
  NAME_RULE,
  type Manifest,
  type ManifestInput,
} from "./manifest.js";
import { isPlainObject } from "./plain-object.js";
import { nearest } from "./suggest.js";
import { MAX_WORKERS } from "./worker-names.js";

export const DEFAULT_NAME = "my-app";

/**
 * Answers in priority order: schema defaults < --config file < flags <
 * prompts. Each layer is a partial manifest, so the schema judges all of them
 * the same way.
 */
export type Partial = {
  name?: string;
  orchestrator?: { module?: string; ingress?: string; router?: string; sink?: string };
  ci?: { providers?: string[] };
  docker?: boolean;
  deploy?: string[];
  /** --workers, or the manifest's own list. */
  workers?: { name: string; transport?: string }[];
  /** --transport: the transport of every worker (the manifest can also set each). */
  transport?: string;
  toolchains?: { go?: string; rust?: string };
};

export function readConfig(path: string): Partial {
  let text;
  try {
    text = readUserText(path);
  } catch (err) {
    throw new UsageError("--config", path, `cannot read it (${(err as NodeJS.ErrnoException).code}); pass a JSON file`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError("--config", path, `it is not valid JSON (${(err as Error).message})`);
  }
  checkJsonDepth(value, `--config ${path}`);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError("--config", path, "it must hold a JSON object shaped like hybrid-backend.json");
  }
  const { generator, $schema: _s, ...rest } = value as Record<string, unknown>;
  checkConfigGenerator(generator);
  return hoistFlagKeys(rest, `--config ${path}`) as Partial;
}

const ORCHESTRATOR_KEYS = ["module", "ingress", "router", "sink"] as const;
/** The flags' names an answers file may use at top level beside the manifest's own keys. */
const FLAG_KEYS = [...ORCHESTRATOR_KEYS, "transport"] as const;

/**
 * An answers file may also use the flags' own names at top level
 * ({"router": "chi"}, {"ci": "github,gitlab"}), as people write it after
 * reading --help; they mean exactly what the flag means.
 */
function hoistFlagKeys(config: Record<string, unknown>, file: string): Record<string, unknown> {
  const out = { ...config };
  unknownTopKey(out, file);
  if (typeof out.ci === "string") out.ci = { providers: parseList(out.ci, `${file} ci`, CI_PROVIDERS, "CI") };
  if (typeof out.deploy === "string") out.deploy = parseList(out.deploy, `${file} deploy`, DEPLOY_TARGETS, "deploy target");
  if (typeof out.workers === "string") out.workers = parseWorkers(out.workers, `${file} workers`);
  if (out.orchestrator !== undefined && (typeof out.orchestrator !== "object" || out.orchestrator === null)) return out;
  const nested = (typeof out.orchestrator === "object" && out.orchestrator !== null ? out.orchestrator : {}) as Record<string, unknown>;
  const moved: Record<string, unknown> = {};
  for (const key of ORCHESTRATOR_KEYS) {
    if (!(key in out)) continue;
    if (key in nested) throw new UsageError(`${file} ${key}`, out[key], `it is given both at top level and under orchestrator; keep one`);
    moved[key] = out[key];
    delete out[key];
  }
  if (Object.keys(moved).length) out.orchestrator = { ...nested, ...moved };
  return out;
}

/**
 * A top-level key an answers file may not hold, named with the keys it may:
 * the schema alone knows only the manifest's, so a misspelt flag name
 * ("routr") got no guess and a list that left the flags' names out.
 */
function unknownTopKey(config: Record<string, unknown>, file: string): void {
  const own = Object.keys((manifestJsonSchema() as { properties?: object }).properties ?? {});
  const known: readonly string[] = [...own, ...FLAG_KEYS];
  // __proto__ is left to the schema's own check (protoKeyPath), which names it at any depth.
  const key = Object.keys(config).find((k) => !known.includes(k) && k !== "__proto__");
  if (key === undefined) return;
  const guess = nearest(key, known);
  const keys = `the keys here are ${own.join(", ")}, or the flags' names ${FLAG_KEYS.join(", ")}`;
  throw new UsageError(file, key, `an unknown key; remove it${guess ? ` (did you mean ${guess}?)` : ""}; ${keys}`);
}

export function flagsLayer(values: ParsedArgs["values"]): Partial {
  const layer: Partial = {};
  if (values.name !== undefined) layer.name = values.name;
  const orchestrator: NonNullable<Partial["orchestrator"]> = {};
  if (values.module !== undefined) orchestrator.module = values.module;
  if (values.ingress !== undefined) orchestrator.ingress = values.ingress;
  if (values.router !== undefined) orchestrator.router = values.router;
  if (values.sink !== undefined) orchestrator.sink = values.sink;
  if (Object.keys(orchestrator).length) layer.orchestrator = orchestrator;
  if (values.ci !== undefined) layer.ci = { providers: parseList(values.ci, flagField("--ci"), CI_PROVIDERS, "CI") };
  if (values.deploy !== undefined) layer.deploy = parseList(values.deploy, flagField("--deploy"), DEPLOY_TARGETS, "deploy target");
  if (values.transport !== undefined) layer.transport = values.transport;
  if (values.workers !== undefined) layer.workers = parseWorkers(values.workers, flagField("--workers"));
  if (values["no-docker"]) layer.docker = false;
  else if (values.docker) layer.docker = true;
  return layer;
}

/**
 * A comma-separated flag value (`--ci`, `--deploy`): `none` alone is the
 * empty list and stands alone; empty entries are errors, never dropped.
 */
function parseList(raw: string, field: string, choices: readonly string[], what: string): string[] {
  const items = raw.split(",").map((s) => s.trim());
  const allowed = listFlagAllowed(choices);
  if (items.includes("none")) {
    if (items.length === 1) return [];
    throw new UsageError(field, raw, `none stands alone (it means no ${what}); ${allowed}`);
  }
  if (items.includes("")) throw new UsageError(field, raw, `an empty entry; ${allowed}`);
  return items;
}

/**
 * --workers (or "workers": "a,b" in an answers file): names only, each worker
 * taking --transport or the default; the schema judges each name.
 */
export function parseWorkers(raw: string, field: string): { name: string }[] {
  const names = raw.split(",").map((s) => s.trim());
  const allowed = `give a comma-separated list of 1 to ${MAX_WORKERS} worker names, the first the primary`;
  if (names.includes("")) throw new UsageError(field, raw, `an empty entry; ${allowed}`);
  // Judged here, on the text as typed: the schema would quote the list it became.
  if (names.length > MAX_WORKERS) throw new UsageError(field, raw, `${names.length} workers; ${allowed}`);
  return names.map((name) => ({ name }));
}

export function merge(...layers: Partial[]): Partial {
  const out: Partial = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const prev = Object.hasOwn(out, key) ? (out as Record<string, unknown>)[key] : undefined;
      const next =
        key === "workers"
          ? keepTransports(prev, value)
          : value && typeof value === "object" && !Array.isArray(value) && prev && typeof prev === "object"
            ? { ...prev, ...value }
            : value;
      // Defined, not assigned: assigning a "__proto__" key (JSON.parse keeps
      // it as an own key) would set out's prototype and hide the key from the
      // schema, which reports it as unknown.
      Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

/**
 * A later layer's workers replace the list, but one it names without a
 * transport (--workers gives names only) keeps the transport an earlier
 * layer (--config) gave that name: `--config answers.json --workers
 * scorer,ranker,pricing` made the file's uds ranker tcp, unsaid. Anything
 * but a list of objects is left as given, for the schema to name.
 */
function keepTransports(prev: unknown, next: unknown): unknown {
  if (!Array.isArray(prev) || !Array.isArray(next)) return next;
  const given = new Map<unknown, unknown>();
  for (const w of prev) if (isPlainObject(w) && Object.hasOwn(w, "transport")) given.set(w.name, w.transport);
  return next.map((w: unknown) =>
    isPlainObject(w) && !Object.hasOwn(w, "transport") && given.has(w.name) ? { ...w, transport: given.get(w.name) } : w,
  );
}

/**
 * The project name comes from --name/--config, else the folder's name, and
 * is never silently rewritten: an invalid folder name is an error.
 */
export function resolveName(answers: Partial, dir: string | undefined, origin: Origin = fromFlags): string {
  const name = answers.name ?? (dir ? basename(resolve(dir)) : DEFAULT_NAME);
  // Named as every other field is (fieldAt): "name (--name)", or where a --config file wrote it.
  const field = answers.name !== undefined ? fieldAt(["name"], origin) : dir ? "name (from the folder)" : "name";
  if (!projectName.safeParse(name).success) throw new UsageError(field, name, NAME_RULE);
  return name;
}

/** One layer of answers, and the file it was read from (for --config). */
export type Layer = { answers: Partial; file?: string };

/**
 * Where the value at a manifest path came from: the last layer that gives
 * it, since later layers win (see merge). Errors name a --config file's
 * values as written there, and the others by their flag.
 */
export function originOf(layers: readonly Layer[]): Origin {
  return (path) => (keptTransportFrom(layers, path) ?? [...layers].reverse().find((layer) => gives(layer.answers, path)))?.file;
}

/** The earlier layer whose transport a worker kept (keepTransports), when path is that transport. */
function keptTransportFrom(layers: readonly Layer[], path: readonly PropertyKey[]): Layer | undefined {
  // --transport sets every worker's: nothing is kept then.
  if (path[0] !== "workers" || path[2] !== "transport" || layers.some((layer) => gives(layer.answers, ["transport"]))) return undefined;
  let at = layers.length - 1;
  while (at >= 0 && !gives(layers[at]!.answers, ["workers"])) at--;
  const worker: unknown = at < 0 ? undefined : (layers[at]!.answers.workers as unknown[] | undefined)?.[path[1] as number];
  if (!isPlainObject(worker) || Object.hasOwn(worker, "transport")) return undefined;
  const named = (w: unknown) => isPlainObject(w) && w.name === worker.name && Object.hasOwn(w, "transport");
  return layers
    .slice(0, at)
    .reverse()
    .find((layer) => Array.isArray(layer.answers.workers) && layer.answers.workers.some(named));
}

function gives(layer: unknown, path: readonly PropertyKey[]): boolean {
  let cur = layer;
  for (const key of path) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, key)) return false;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return true;
}

export function toManifest(answers: Partial, name: string, origin: Origin = fromFlags): Manifest {
  const { transport, ...rest } = answers;
  // --transport replaces every listed worker's before the schema reads them, so a
  // transport it overrides (one --config gave) is never judged.
  const listed = transport !== undefined && Array.isArray(rest.workers) ? { ...rest, workers: rest.workers.map((w) => ({ ...w, transport })) } : rest;
  const manifest = parseManifest(manifestInput(listed, name), origin);
  if (transport === undefined) return manifest;
  // Applied to the parsed workers, so it reaches the default worker too.
  return parseManifest({ ...manifest, workers: manifest.workers.map((w) => ({ ...w, transport })) }, origin);
}

/**
 * A fault in the answers given so far (flags, --config) that no prompt can
 * mend, so an interactive run refuses it before its first question.
 */
export function answersFault(answers: Partial, origin: Origin, acrossFields = false): UsageError | undefined {
  const { transport, ...rest } = answers;
  const input = manifestInput(rest, rest.name ?? DEFAULT_NAME);
  const workers = (rest as { workers?: unknown }).workers ?? DEFAULT_WORKERS;
  if (transport !== undefined && Array.isArray(workers)) {
    (input as Record<string, unknown>).workers = workers.map((w: object) => ({ ...w, transport }));
  }
  const byTransport = (path: readonly PropertyKey[]) => transport !== undefined && path[0] === "workers" && path[2] === "transport";
  return givenFault(input, (path) => gives(answers, path) || byTransport(path), origin, acrossFields);
}

function manifestInput(answers: Omit<Partial, "transport">, name: string): ManifestInput {
  const given: unknown = answers.orchestrator;
  // Anything but an object is left as given, for the schema to name its type.
  const orchestrator = given === undefined || isPlainObject(given) ? { module: defaultModule(name), ...given } : given;
  return { ...answers, name, orchestrator } as ManifestInput;
}
