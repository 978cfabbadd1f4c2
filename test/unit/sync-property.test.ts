import { execa } from "execa";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { runSync } from "../../src/commands/sync.js";
import { MANIFEST_FILE, parseManifest, type Manifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { managedFiles, withLedger } from "../../src/sync/ledger.js";
import { GENERATOR_VERSION } from "../../src/version.js";
import { createProject } from "../../src/write/create.js";
import { captureLog, tempDir } from "../helpers/cli.js";
import { lineEnding, toLF } from "../../src/sync/eol.js";
import { EDITABLE, applyRandomEdit, count, resolveConflict, rng, type Rng, type UserEdit } from "../helpers/user-edits.js";

/**
 * The promise of sync, checked on random cases: generate, let a "user" edit
 * and delete files at random (also re-save them with CRLF, flip their mode,
 * re-save them as UTF-16), sometimes in a CRLF checkout (core.autocrlf),
 * change the manifest at random, sync. Every edit must survive, or its file
 * must be reported as a conflict with exit 3; never exit 0 with an edit lost.
 * A conflict stays one (exit 3, sync --check too) until the user resolves it.
 * SYNC_SEEDS (count) and SYNC_SEED (first seed) replay or widen the run; a
 * failure names its seed.
 */
// Each case runs git a few dozen times; on a shared 2-core machine that can take more than vitest's 5 s.
vi.setConfig({ testTimeout: 120_000 });
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
    const committed = r.chance(0.5);
    await createProject(dir, withLedger(render(before), before), { commitMessage: committed ? "generated" : undefined });
    // A Windows-style clone: the index keeps LF, the working tree is CRLF.
    const autocrlf = committed && r.chance(0.3);
    if (autocrlf) {
      await execa("git", ["config", "core.autocrlf", "true"], { cwd: dir });
      await execa("git", ["rm", "-q", "--cached", "-r", "."], { cwd: dir });
      await execa("git", ["reset", "-q", "--hard"], { cwd: dir });
    }

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
    for (const f of report.files) if (f.generatedBeside) bump("conflict beside (not mergeable)");
    bump(`exit ${code}`);
    if (autocrlf) bump("autocrlf checkout");
    for (const e of edits) bump(`edit ${e.kind}`);
    const context = `seed ${seed}${autocrlf ? " (autocrlf)" : ""}: ${JSON.stringify(edits.map(({ after: _, ...e }) => e))}`;
    expect(code, context).toBe(report.files.some((f) => f.status === "conflict") ? 3 : 0);

    const touched = new Set(edits.map((e) => e.path));
    for (const path of touched) {
      const mine = edits.filter((e) => e.path === path);
      const file = join(dir, path);
      if (mine.some((e) => e.kind === "delete")) {
        expect(existsSync(file), `${context}: ${path} was deleted by the user`).toBe(false);
        continue;
      }
      // Line endings alone, or a mode flipped back, are not an edit: such a file goes when it is no longer generated.
      const netMode = mine.filter((e) => e.kind === "mode").at(-1)?.mode;
      const styleOnly = mine.every((e) => e.kind === "crlf" || e.kind === "mode") && (netMode === undefined || netMode === old.get(path)!.mode);
      if (!next.has(path) && styleOnly) continue;
      expect(existsSync(file), `${context}: ${path} was edited, then lost`).toBe(true);
      const raw = readFileSync(file);
      const last = mine.at(-1)!;
      const mode = mine.filter((e) => e.kind === "mode").at(-1)?.mode;
      if (mode !== undefined) expect(statSync(file).mode & 0o777, `${context}: ${path} lost the user's mode`).toBe(mode);
      if (mine.some((e) => e.kind === "binary")) {
        // Never merged line by line: the user's bytes stay, the new render (if any) goes beside them.
        expect(raw.equals(last.after!), `${context}: ${path} (binary) was rewritten`).toBe(true);
        if (status.get(path) === "conflict") expect(existsSync(`${file}.generated`), `${context}: ${path}.generated`).toBe(true);
        continue;
      }
      if (mine.some((e) => e.kind === "crlf")) expect(lineEnding(raw), `${context}: ${path} lost its CRLF line endings`).toBe("crlf");
      if (status.get(path) === "conflict") continue;
      const result = toLF(raw).toString("utf8");
      const theirs = next.get(path)?.content.toString("utf8");
      if (theirs === undefined) {
        expect(raw.equals(last.after!), `${context}: ${path} no longer generated, must be left as the user left it`).toBe(true);
        continue;
      }
      for (const e of mine) {
        if (e.wrote) expect(count(result, e.wrote), `${context}: ${path} lost "${e.wrote}"`).toBeGreaterThan(0);
        if (e.tookOut) {
          const took = e.tookOut.replace(/\r$/, "");
          expect(count(result, took), `${context}: ${path} got back "${took}"`).toBeLessThanOrEqual(Math.max(0, count(theirs, took) - 1));
        }
      }
    }
    // Files the user left alone are exactly the new render (or gone with it), in the checkout's line endings.
    for (const [path, entry] of next) {
      if (touched.has(path)) continue;
      const disk = readFileSync(join(dir, path));
      expect((autocrlf ? toLF(disk) : disk).equals(entry.content), `${context}: ${path} not current`).toBe(true);
    }

    // Edits are not drift. A conflict is: sync and sync --check report it (exit 3) until it is resolved.
    const conflicts = report.files.filter((f) => f.status === "conflict").map((f) => f.path);
    if (conflicts.length > 0) {
      expect((await sync(dir, { check: true })).code, context).toBe(3);
      const still = await sync(dir);
      expect(still.code, context).toBe(3);
      expect(still.report.files.filter((f) => f.status === "conflict").map((f) => f.path), context).toEqual(conflicts);
      for (const path of conflicts) resolveConflict(dir, path);
    }
    expect((await sync(dir, { check: true })).code, context).toBe(0);
    const again = await sync(dir);
    expect(again.code, context).toBe(0);
    expect(again.report.files.filter((f) => f.status !== "unchanged" && f.status !== "kept-deleted"), context).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});

async function sync(dir: string, options: { check?: boolean } = {}) {
  const { code, out } = await captureLog(() => runSync(dir, { json: true, ...options }));
  return { code, report: JSON.parse(out) as { files: { path: string; status: string; generatedBeside?: string }[] } };
}

function randomManifest(r: Rng, seed: number): Manifest {
  const ingress = r.pick(["http", "sqs", "kinesis"] as const);
  return parseManifest({
    name: `case-${seed}`,
    orchestrator: { module: `example.com/case-${seed}/orchestrator`, ingress, ...(ingress === "http" ? { router: r.pick(["stdlib", "chi"]) } : {}) },
    ci: { providers: r.pick([["github"], ["gitlab"], ["github", "gitlab"], []]) },
    docker: r.chance(0.7),
    workers: [{ name: "scorer", transport: r.pick(["tcp", "uds"]) }],
  });
}

/** One or two of the changes teams make: a worker, CI providers, versions, options. */
function mutate(m: Manifest, r: Rng): Manifest {
  let out = structuredClone(m);
  for (let i = 0, n = 1 + r.int(2); i < n; i++) {
    const change = r.pick(["worker", "ci", "versions", "docker", "router", "transport", "deploy"] as const);
    const candidate = structuredClone(out);
    if (change === "worker") candidate.workers.push({ name: r.pick(["pricing", "fraud", "ranker"]), transport: "tcp" });
    if (change === "ci") {
      const p = r.pick(["github", "gitlab"] as const);
      const has = candidate.ci.providers.includes(p);
      candidate.ci.providers = has ? candidate.ci.providers.filter((x) => x !== p) : [...candidate.ci.providers, p];
    }
    if (change === "versions") {
      candidate.toolchains = { ...candidate.toolchains, go: "1.27", rust: "1.96.0", buf: "1.76.0", kubernetes: "1.34" };
      candidate.images = { ...candidate.images, "golang:1.27-bookworm": `sha256:${"27".repeat(32)}`, "rust:1.96.0-bookworm": `sha256:${"96".repeat(32)}` };
      if (candidate.ci.actions) candidate.ci.actions["actions/checkout"] = { sha: "0123456789abcdef0123456789abcdef01234567", version: "v5.1.0" };
    }
    if (change === "docker") candidate.docker = !candidate.docker;
    if (change === "transport") {
      const w = r.pick(candidate.workers);
      w.transport = w.transport === "tcp" ? "uds" : "tcp";
    }
    if (change === "deploy") candidate.deploy = candidate.deploy.length ? [] : ["kubernetes"];
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
