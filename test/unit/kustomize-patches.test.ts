import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Every patch of every overlay must land on an object the base renders for
 * that manifest. kustomize applies a patch whose target matches nothing as a
 * silent no-op, so an overlay that claims to change something the base lacks
 * (a dev HPA patch beside a base without an HPA) builds cleanly and lies.
 */
const PRESETS = {
  http: { ingress: "http" },
  sqs: { ingress: "sqs", sink: "dynamodb" },
  "sqs-none": { ingress: "sqs", sink: "none" },
  kinesis: { ingress: "kinesis", sink: "dynamodb" },
} as const;

interface Target {
  kind?: string;
  name?: string;
}

interface Patch {
  path?: string;
  patch?: string;
  target?: Target;
}

interface Replacement {
  source: Target & { fieldPath: string };
  targets: { select: Target; fieldPaths: string[] }[];
}

const kustomize = (dir: string) => execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8" });

/** kind and name of every object a built kustomization holds. */
function objects(yaml: string): Required<Target>[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
    .filter((o) => o?.kind !== undefined)
    .map((o) => ({ kind: o!.kind!, name: o!.metadata?.name ?? "" }));
}

/** What each patch of an overlay means to change: its target, or the objects its file names. */
function targets(overlay: string): { patch: string; target: Target }[] {
  const k = parse(readFileSync(join(overlay, "kustomization.yaml"), "utf8")) as {
    patches?: Patch[];
    patchesStrategicMerge?: string[];
    patchesJson6902?: Patch[];
    replacements?: Replacement[];
  };
  const out: { patch: string; target: Target }[] = [];
  for (const p of [...(k.patches ?? []), ...(k.patchesJson6902 ?? []), ...(k.patchesStrategicMerge ?? []).map((path): Patch => ({ path }))]) {
    const label = p.path ?? p.patch ?? "";
    if (p.target) {
      out.push({ patch: label, target: p.target });
      continue;
    }
    // A strategic-merge patch (a file or inline) names its own targets.
    const text = p.path ? readFileSync(join(overlay, p.path), "utf8") : (p.patch ?? "");
    for (const o of objects(text)) out.push({ patch: label, target: o });
  }
  // A replacement whose target selects nothing is as silent as such a patch (its source, missing, fails the build).
  for (const r of k.replacements ?? []) {
    for (const t of r.targets) out.push({ patch: `replacement from ${r.source.fieldPath} to ${t.fieldPaths.join(", ")}`, target: t.select });
  }
  return out;
}

// Matching objects by base name: generated ConfigMaps get a hash suffix, nothing patched here does.
const matches = (t: Target, o: Required<Target>) => (t.kind === undefined || t.kind === o.kind) && (t.name === undefined || t.name === o.name);

describe.each(Object.entries(PRESETS))("overlay patches, %s", (_preset, orchestrator) => {
  it.each([
    ["tcp", 1],
    ["tcp", 2],
    ["uds", 1],
    ["uds", 2],
  ] as const)("every patch targets an object the base renders (%s workers: %i)", (transport, count) => {
    const dir = join(tempDir("chb-patches-"), "repo");
    mkdirSync(dir);
    const m = parseManifest({
      name: "risk-api",
      orchestrator: { module: "github.com/acme/risk-api/orchestrator", ...orchestrator },
      workers: ["scorer", "pricing"].slice(0, count).map((name) => ({ name, transport })),
    });
    writeTree(dir, render(m));
    const base = objects(kustomize(join(dir, "deploy/kubernetes/base")));
    const overlays = join(dir, "deploy/kubernetes/overlays");
    const names = readdirSync(overlays).sort();
    expect(names).toEqual(["dev", "prod"]);
    const missing: string[] = [];
    for (const name of names) {
      kustomize(join(overlays, name)); // builds at all
      for (const { patch, target } of targets(join(overlays, name))) {
        if (!base.some((o) => matches(target, o))) missing.push(`${name}: ${JSON.stringify(target)} (${patch.split("\n")[0]})`);
      }
    }
    expect(missing).toEqual([]);
  });
});
