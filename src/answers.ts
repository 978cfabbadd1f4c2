import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { ParsedArgs } from "./args.js";
import { UsageError } from "./errors.js";
import {
  defaultModule,
  parseManifest,
  projectName,
  NAME_RULE,
  type Manifest,
  type ManifestInput,
} from "./manifest.js";

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
  /** --transport: the transport of every worker (the manifest can also set each). */
  transport?: string;
  toolchains?: { go?: string; rust?: string };
};

export function readConfig(path: string): Partial {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError("--config", path, `cannot read it (${(err as NodeJS.ErrnoException).code}); pass a JSON file`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError("--config", path, `it is not valid JSON (${(err as Error).message})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError("--config", path, "it must hold a JSON object shaped like hybrid-backend.json");
  }
  const { generator: _g, $schema: _s, ...rest } = value as Record<string, unknown>;
  return rest as Partial;
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
  if (values.ci !== undefined) layer.ci = { providers: parseList(values.ci) };
  if (values.deploy !== undefined) layer.deploy = parseList(values.deploy);
  if (values.transport !== undefined) layer.transport = values.transport;
  if (values["no-docker"]) layer.docker = false;
  else if (values.docker) layer.docker = true;
  return layer;
}

/** A comma-separated flag value; `none` alone is the empty list. */
function parseList(raw: string): string[] {
  const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 1 && items[0] === "none") return [];
  return items;
}

export function merge(...layers: Partial[]): Partial {
  const out: Partial = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const prev = (out as Record<string, unknown>)[key];
      (out as Record<string, unknown>)[key] =
        value && typeof value === "object" && !Array.isArray(value) && prev && typeof prev === "object"
          ? { ...prev, ...value }
          : value;
    }
  }
  return out;
}

/**
 * The project name comes from --name/--config, else the folder's name, and
 * is never silently rewritten: an invalid folder name is an error.
 */
export function resolveName(answers: Partial, dir: string | undefined): string {
  const name = answers.name ?? (dir ? basename(resolve(dir)) : DEFAULT_NAME);
  const field = answers.name !== undefined ? "name" : dir ? "name (from the folder)" : "name";
  if (!projectName.safeParse(name).success) throw new UsageError(field, name, NAME_RULE);
  return name;
}

export function toManifest(answers: Partial, name: string): Manifest {
  const { transport, ...rest } = answers;
  const input = {
    ...rest,
    name,
    orchestrator: { module: defaultModule(name), ...answers.orchestrator },
  } as ManifestInput;
  const manifest = parseManifest(input);
  if (transport === undefined) return manifest;
  // Applied to the parsed workers, so it reaches the default worker too.
  return parseManifest({ ...manifest, workers: manifest.workers.map((w) => ({ ...w, transport })) });
}
