import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Layer, flagsLayer, merge, originOf, readConfig, toManifest } from "../../src/answers.js";
import { UsageError } from "../../src/errors.js";
import { MANIFEST_FILE, parseManifest } from "../../src/manifest.js";
import { tempDir } from "../helpers/cli.js";

/**
 * An unknown key is an error wherever it sits, in hybrid-backend.json and in
 * a --config file alike, `__proto__` included: JSON.parse keeps it as an own
 * key, which a copy by assignment or a zod record would drop without a word.
 */
const full = toManifest({}, "app") as unknown as Record<string, unknown>;

/** Every plain object in the manifest, by path. */
function objectPaths(value: unknown, path: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [];
  const children = Object.entries(value).flatMap(([k, v]) => objectPaths(v, [...path, k]));
  return Array.isArray(value) ? children : [path, ...children];
}

/** The manifest as JSON text with KEY added to the object at path, parsed as a user's file would be. */
function withKey(path: string[], key: string): unknown {
  const copy = structuredClone(full);
  let at = copy as Record<string, unknown>;
  for (const k of path) at = at[k] as Record<string, unknown>;
  at.__INJECTED__ = { docker: false };
  return JSON.parse(JSON.stringify(copy).replace('"__INJECTED__"', JSON.stringify(key)));
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error("accepted");
}

const paths = objectPaths(full);
const shown = (path: string[]) => path.join(".") || "(top level)";
/** The error names the object that holds the key, as the file it is in spells it. */
const where = (file: string, path: string[]) => (path.length ? `${file} ${path.join(".")}` : file);

describe("unknown keys at any depth", () => {
  it("walks the nested objects the tester could reach", () => {
    expect(paths.map(shown)).toEqual(expect.arrayContaining(["(top level)", "orchestrator", "workers.0", "toolchains", "ci", "images"]));
  });

  it.each(paths.map((p) => [shown(p), p] as const))("in hybrid-backend.json, at %s", (_name, path) => {
    const said = refusal(() => parseManifest(withKey(path, "__proto__"), MANIFEST_FILE));
    expect(said).toContain(`${where(MANIFEST_FILE, path)}: "__proto__" is not valid; an unknown key; remove it`);
    // images maps any image reference to a digest, so only __proto__ is unknown there.
    if (path[0] !== "images") {
      expect(refusal(() => parseManifest(withKey(path, "frob"), MANIFEST_FILE))).toContain(`${where(MANIFEST_FILE, path)}: "frob" is not valid; an unknown key`);
    }
  });

  // --config drops the generator's own record (generator, $schema); the rest is the user's.
  it.each(paths.filter((p) => p[0] !== "generator").map((p) => [shown(p), p] as const))("in a --config file, at %s", (_name, path) => {
    const file = join(tempDir(), "answers.json");
    // Rest and JSON.stringify keep an own __proto__ key, so the file holds it where it was put.
    const { generator: _g, ...answers } = withKey(path, "__proto__") as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(answers));
    const layers: Layer[] = [{ answers: readConfig(file), file: `--config ${file}` }, { answers: flagsLayer({}) }];
    const said = refusal(() => toManifest(merge(...layers.map((l) => l.answers)), "app", originOf(layers)));
    expect(said).toContain(`${where(`--config ${file}`, path)}: "__proto__" is not valid; an unknown key`);
  });

  it("merge keeps a __proto__ key as data, never as the result's prototype", () => {
    const layer = JSON.parse('{"__proto__": {"docker": false}}');
    const merged = merge({}, layer) as Record<string, unknown>;
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.keys(merged)).toEqual(["__proto__"]);
    expect((merged as { docker?: boolean }).docker).toBeUndefined();
  });
});
