import type * as z from "zod";
import { UsageError } from "./errors.js";
import { nearest } from "./suggest.js";

/**
 * Turns the schema's first complaint into the one-line error a user acts on:
 * the field where they wrote it, the value, what is allowed.
 */

/**
 * The file a value at a manifest path was read from, named in front of the
 * path ("hybrid-backend.json", "--config answers.json"), or undefined when it
 * came from a flag, a prompt or a default.
 */
export type Origin = (path: readonly PropertyKey[]) => string | undefined;

export const fromFile = (file: string): Origin => () => file;
export const fromFlags: Origin = () => undefined;

/**
 * The CLI flag that sets a manifest field, named in errors next to the field:
 * the one table every error about a flag's value reads (fieldAt, flagField).
 */
export const FLAG_FOR: Readonly<Record<string, string>> = {
  name: "--name",
  "orchestrator.module": "--module",
  "orchestrator.ingress": "--ingress",
  "orchestrator.router": "--router",
  "orchestrator.sink": "--sink",
  "ci.providers": "--ci",
  deploy: "--deploy",
  "workers.transport": "--transport",
  "workers.name": "--workers",
  workers: "--workers",
};

/**
 * The error for a schema issue. `jsonSchema` is the manifest's JSON Schema,
 * read for the keys allowed where an unknown key sits.
 */
/** The path an issue is about: an unknown key's own, not its object's. */
export function issuePath(issue: z.core.$ZodIssue): readonly PropertyKey[] {
  return issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue.path;
}

export function faultFor(issue: z.core.$ZodIssue, input: unknown, origin: Origin, jsonSchema: object): UsageError {
  if (issue.code === "unrecognized_keys") return unknownKey(issue.path, issue.keys, origin, jsonSchema);
  const keys = issue.code === "invalid_type" && issue.expected === "object" ? keysAt(jsonSchema, issue.path) : undefined;
  // "expected object" alone left the user to guess its shape: name its keys.
  const allowed = keys ? `expected an object with the keys ${keys.join(", ")}` : allowedFor(issue, origin);
  return new UsageError(fieldAt(issue.path, origin), valueAt(input, issue.path), allowed);
}

/**
 * What a list flag (--ci, --deploy) takes: the schema's values, or the word
 * none alone, which the flag turns into the empty list before the schema sees
 * it (answers.ts), so the schema's own "allowed" would leave none out.
 */
export function listFlagAllowed(choices: readonly string[]): string {
  return `give none, or a comma-separated list of ${choices.join(", ")}`;
}

const LIST_FLAGS = new Set(["ci.providers", "deploy"]);

/**
 * An unknown key is named by itself, in the object that holds it, with the
 * keys that object takes: quoting the whole object (at top level, the whole
 * answers file) would bury it.
 */
export function unknownKey(at: readonly PropertyKey[], keys: readonly string[], origin: Origin, jsonSchema: object): UsageError {
  const allowed = keysAt(jsonSchema, at);
  const [first] = keys;
  const guess = allowed && first !== undefined ? nearest(first, allowed) : undefined;
  const others = keys.length > 1 ? `; also unknown here: ${keys.slice(1).join(", ")}` : "";
  const here = allowed ? `; the keys here are ${allowed.join(", ")}` : "";
  return new UsageError(
    // The key's own path decides where it came from: every layer has a top level.
    fieldAt(at, origin, "(top level)", [...at, first!]),
    first,
    `an unknown key; remove it${guess ? ` (did you mean ${guess}?)` : ""}${others}${here}`,
  );
}

/**
 * How an error names a flag: with the manifest field it sets, as a schema
 * fault names it ("orchestrator.ingress (--ingress)"), or alone when it sets
 * none (--config). A list flag is named by its whole field (workers, not workers.name).
 */
export function flagField(flag: string): string {
  const paths = Object.keys(FLAG_FOR).filter((path) => FLAG_FOR[path] === flag);
  const path = paths.sort((a, b) => a.length - b.length)[0];
  return path === undefined ? flag : `${path} (${flag})`;
}

export function fieldAt(at: readonly PropertyKey[], origin: Origin, top = "manifest", originPath = at): string {
  const path = at.map(String).join(".");
  const file = origin(originPath);
  if (file !== undefined) return path ? `${file} ${path}` : file;
  const flag = FLAG_FOR[path.replace(/\.\d+(?=\.|$)/g, "")];
  return flag ? `${path} (${flag})` : path || top;
}

/** The fixed keys of the object at a manifest path, per the JSON Schema; undefined for maps (images) and unknown paths. */
function keysAt(schema: object, at: readonly PropertyKey[]): string[] | undefined {
  let node = schema as { properties?: Record<string, object>; items?: object };
  for (const step of at) {
    const next = typeof step === "number" ? node.items : node.properties?.[String(step)];
    if (!next) return undefined;
    node = next as typeof node;
  }
  return node.properties ? Object.keys(node.properties) : undefined;
}

function allowedFor(issue: z.core.$ZodIssue, origin: Origin): string {
  if (issue.code === "invalid_value") {
    const values = issue.values.map((v) => String(v));
    // Set by a flag (no file to name), a list's entry is a word of that flag's own vocabulary.
    const listEntry = LIST_FLAGS.has(issue.path.slice(0, -1).map(String).join(".")) && typeof issue.path.at(-1) === "number";
    return listEntry && origin(issue.path) === undefined ? listFlagAllowed(values) : `allowed: ${values.join(", ")}`;
  }
  if (issue.code === "invalid_type") {
    return `expected ${issue.expected}`;
  }
  return issue.message;
}

export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
