import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { SHARED_CRATES } from "../../src/render/components.js";
import { render, type FileTree } from "../../src/render/index.js";

/**
 * Cargo puts every workspace member's examples in one target/PROFILE/examples
 * folder, so two workers with an example of the same name overwrite each
 * other ("output filename collision", to become a hard error), and
 * `--example NAME` / `--test NAME` then pick one worker's target by name
 * alone. Each crate's targets are named after it (worker-kit's `worker_kit_`);
 * this renders three workers and reads every target cargo would build in
 * them and in the shared crates, declared or discovered.
 */
const WORKERS = ["scorer", "pricing", "fraud"];
const tree = render(
  parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" }, workers: WORKERS.map((name) => ({ name })) }),
);

interface Target {
  kind: string;
  name: string;
  path: string;
}

describe("the workers' cargo targets", () => {
  const targets = new Map([...WORKERS, ...SHARED_CRATES].map((c) => [c, cargoTargets(tree, c)]));

  it("finds each worker's examples, tests and binary", () => {
    for (const w of WORKERS) {
      const ts = targets.get(w)!;
      const kinds = new Set(ts.map((t) => t.kind));
      for (const kind of ["lib", "bin", "example", "test"]) expect(kinds.has(kind), `${w}: ${kind}`).toBe(true);
      expect(ts.filter((t) => t.kind === "example").length, w).toBeGreaterThanOrEqual(3);
    }
  });

  it("names every target after its crate, so none is named twice across the workspace", () => {
    const owner = new Map<string, string>();
    expect(targets.get("worker-kit")!.map((t) => t.name)).toContain("worker_kit_overload");
    for (const [w, ts] of targets) {
      const crate = w.replaceAll("-", "_");
      for (const t of ts) {
        expect(t.name === crate || t.name.startsWith(`${crate}_`), `${w}: ${t.kind} ${t.name} (${t.path})`).toBe(true);
        const key = `${t.kind === "lib" ? "lib" : "out"}:${t.name}`;
        const other = owner.get(key);
        expect(other === undefined || other === w, `${t.kind} ${t.name} in both ${other} and ${w}`).toBe(true);
        owner.set(key, w);
      }
    }
  });
});

/**
 * A crate's targets as cargo sees them: the [lib], [[bin]], [[example]],
 * [[test]] and [[bench]] tables of its Cargo.toml, then the files cargo
 * discovers on its own (src/main.rs, src/bin, examples, tests, benches) under
 * the file's name, unless a table already claims that path.
 */
function cargoTargets(tree: FileTree, worker: string): Target[] {
  const root = `workers/${worker}/`;
  const toml = tree.get(`${root}Cargo.toml`)!.content.toString("utf8");
  const declared: Target[] = [{ kind: "lib", name: worker.replaceAll("-", "_"), path: "src/lib.rs" }];
  for (const table of toml.matchAll(/^\[\[(bin|example|test|bench)\]\]\n((?:[^[\n].*\n)*)/gm)) {
    const name = /^name = "([^"]+)"/m.exec(table[2]!)?.[1];
    const path = /^path = "([^"]+)"/m.exec(table[2]!)?.[1];
    if (!name || !path) throw new Error(`${worker}: a [[${table[1]}]] table without name and path`);
    declared.push({ kind: table[1]!, name, path });
  }
  const claimed = new Set(declared.map((t) => t.path));
  const discovered: Target[] = [];
  const dirs: [string, string][] = [["src/bin", "bin"], ["examples", "example"], ["tests", "test"], ["benches", "bench"]];
  for (const file of tree.keys()) {
    if (!file.startsWith(root)) continue;
    const rel = file.slice(root.length);
    if (rel === "src/main.rs") discovered.push({ kind: "bin", name: worker.replaceAll("-", "_"), path: rel });
    for (const [dir, kind] of dirs) {
      const m = new RegExp(`^${dir}/(?:([\\w-]+)\\.rs|([\\w-]+)/main\\.rs)$`).exec(rel);
      if (m) discovered.push({ kind, name: (m[1] ?? m[2])!, path: rel });
    }
  }
  return [...declared, ...discovered.filter((t) => !claimed.has(t.path))];
}
