import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSync } from "../../src/commands/sync.js";
import { MANIFEST_FILE, parseManifest, type Manifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { managedFiles, withLedger } from "../../src/sync/ledger.js";
import { GENERATOR_VERSION } from "../../src/version.js";
import { createProject } from "../../src/write/create.js";
import { captureLog, tempDir } from "../helpers/cli.js";
import { EDITABLE, applyRandomEdit, count, rng, type Rng, type UserEdit } from "../helpers/user-edits.js";

/**
 * The promise of sync, checked on random cases: generate, let a "user" edit
 * and delete files at random, change the manifest at random, sync. Every edit
 * must survive, or its file must be reported as a conflict with exit 3; never
 * exit 0 with an edit lost. SYNC_SEEDS (count) and SYNC_SEED (first seed)
 * replay or widen the run; a failure names its seed.
 */
const SEEDS = Number(process.env.SYNC_SEEDS ?? 100);
const FIRST = Number(process.env.SYNC_SEED ?? 1);
const root = tempDir("chb-sync-property-");
const tally = new Map<string, number>();
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  // What the run exercised, so a green run can be told from a trivial one.
  console.info(`sync property: ${SEEDS} cases; file outcomes ${JSON.stringify(Object.fromEntries(tally))}`);
});

describe("sync never loses an edit", () => {
  it.each(Array.from({ length: SEEDS }, (_, i) => FIRST + i))("seed %i", async (seed) => {
    const r = rng(seed);
    const dir = join(root, `case-${seed}`);
    const before = randomManifest(r, seed);
    await createProject(dir, withLedger(render(before), before), { commitMessage: r.chance(0.5) ? "generated" : undefined });

    const after = mutate(before, r);
    const old = managedFiles(render(before));
    const next = managedFiles(render({ ...after, generator: { ...after.generator, version: GENERATOR_VERSION } }));
    const editable = [...old.keys()].filter((p) => EDITABLE.test(p));
    // Mostly edit files the manifest change also rewrites: that is where merges happen.
    const contested = editable.filter((p) => !next.get(p)?.content.equals(old.get(p)!.content));
    const edits: UserEdit[] = [];
    for (let i = 0, n = 1 + r.int(6); i < n; i++) {
      const pool = contested.length > 0 && r.chance(0.7) ? contested : editable;
      const edit = applyRandomEdit(dir, pool, r, `${seed}-${i}`);
      if (edit) edits.push(edit);
    }
    writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(after, null, 2)}\n`);

    const { code, report } = await sync(dir);
    const status = new Map(report.files.map((f) => [f.path, f.status]));
    const bump = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
    for (const [path, s] of status) {
      if (s !== "unchanged") bump(s);
      if (s === "conflict") bump(`conflict in ${path.replace(/^workers\/[a-z0-9]+\//, "workers/*/")}`);
    }
    bump(`exit ${code}`);
    const context = `seed ${seed}: ${JSON.stringify(edits.map(({ after: _, ...e }) => e))}`;
    expect(code, context).toBe(report.files.some((f) => f.status === "conflict") ? 3 : 0);

    const touched = new Set(edits.map((e) => e.path));
    for (const path of touched) {
      const mine = edits.filter((e) => e.path === path);
      const file = join(dir, path);
      if (mine.some((e) => e.kind === "delete")) {
        expect(existsSync(file), `${context}: ${path} was deleted by the user`).toBe(false);
        continue;
      }
      expect(existsSync(file), `${context}: ${path} was edited, then lost`).toBe(true);
      if (status.get(path) === "conflict") continue;
      const result = readFileSync(file, "utf8");
      const theirs = next.get(path)?.content.toString("utf8");
      if (theirs === undefined) {
        expect(result, `${context}: ${path} no longer generated`).toBe(mine.at(-1)!.after);
        continue;
      }
      for (const e of mine) {
        if (e.wrote) expect(count(result, e.wrote), `${context}: ${path} lost "${e.wrote}"`).toBeGreaterThan(0);
        if (e.tookOut) {
          expect(count(result, e.tookOut), `${context}: ${path} got back "${e.tookOut}"`).toBeLessThanOrEqual(Math.max(0, count(theirs, e.tookOut) - 1));
        }
      }
    }
    // Files the user left alone are exactly the new render (or gone with it).
    for (const [path, entry] of next) {
      if (!touched.has(path)) expect(readFileSync(join(dir, path)).equals(entry.content), `${context}: ${path} not current`).toBe(true);
    }

    // Edits are not drift, and a second sync has nothing left to do.
    expect((await sync(dir, { check: true })).code, context).toBe(0);
    const again = await sync(dir);
    expect(again.code, context).toBe(0);
    expect(again.report.files.filter((f) => f.status !== "unchanged" && f.status !== "kept-deleted"), context).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});

async function sync(dir: string, options: { check?: boolean } = {}) {
  const { code, out } = await captureLog(() => runSync(dir, { json: true, ...options }));
  return { code, report: JSON.parse(out) as { files: { path: string; status: string }[] } };
}

function randomManifest(r: Rng, seed: number): Manifest {
  const ingress = r.pick(["http", "sqs", "kinesis"] as const);
  return parseManifest({
    name: `case-${seed}`,
    orchestrator: { module: `example.com/case-${seed}/orchestrator`, ingress, ...(ingress === "http" ? { router: r.pick(["stdlib", "chi"]) } : {}) },
    ci: { providers: r.pick([["github"], ["gitlab"], ["github", "gitlab"], []]) },
    docker: r.chance(0.7),
  });
}

/** One or two of the changes teams make: a worker, CI providers, versions, options. */
function mutate(m: Manifest, r: Rng): Manifest {
  let out = structuredClone(m);
  for (let i = 0, n = 1 + r.int(2); i < n; i++) {
    const change = r.pick(["worker", "ci", "versions", "docker", "router"] as const);
    const candidate = structuredClone(out);
    if (change === "worker") candidate.workers.push({ name: r.pick(["pricing", "fraud", "ranker"]), transport: "tcp" });
    if (change === "ci") {
      const p = r.pick(["github", "gitlab"] as const);
      const has = candidate.ci.providers.includes(p);
      candidate.ci.providers = has ? candidate.ci.providers.filter((x) => x !== p) : [...candidate.ci.providers, p];
    }
    if (change === "versions") {
      candidate.toolchains = { go: "1.27", rust: "1.96", buf: "1.76.0" };
      if (candidate.ci.actions) candidate.ci.actions["actions/checkout"] = { sha: "0123456789abcdef0123456789abcdef01234567", version: "v5.1.0" };
    }
    if (change === "docker") candidate.docker = !candidate.docker;
    if (change === "router" && candidate.orchestrator.ingress === "http") {
      candidate.orchestrator.router = candidate.orchestrator.router === "chi" ? "stdlib" : "chi";
    }
    try {
      out = parseManifest(candidate); // a change the schema rejects is skipped, as the CLI would refuse it
    } catch {
      /* keep the previous manifest */
    }
  }
  return out;
}
