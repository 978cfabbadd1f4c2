import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../helpers/cli.js";
import { builtApp, changesIn, gitIn } from "../helpers/built-app.js";

/**
 * A dry run answers what the real run would: refused with the same line and
 * exit 2, not a preview and exit 0. `add worker pricing --dry-run` with a file
 * at workers/pricing (where the new crate's folder goes) previewed the change
 * and exited 0, as the checks that refuse it ran only in the write path. Each
 * command that has --dry-run is run both ways here over the same state, and
 * neither may change anything (the snapshot ref included).
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let dir: string;
beforeAll(async () => {
  ({ dir } = await builtApp("chb-dry-run-checks-"));
});

const REF = "refs/hybrid-backend/generated";

interface Case {
  args: string[];
  /** Makes the state the command is refused in; returns what undoes it. */
  setup: () => () => void;
  message: RegExp;
}

const manifestPath = () => join(dir, "hybrid-backend.json");

/** The manifest with a worker added by hand, as a user edits it before `sync`. */
function withWorker(name: string): () => void {
  const before = readFileSync(manifestPath(), "utf8");
  const m = JSON.parse(before) as { workers: { name: string }[] };
  m.workers.push({ ...m.workers[0]!, name });
  writeFileSync(manifestPath(), `${JSON.stringify(m, null, 2)}\n`);
  return () => writeFileSync(manifestPath(), before);
}

/** A file where a generated folder goes. */
function fileAt(path: string): () => void {
  writeFileSync(join(dir, path), "mine\n");
  return () => rmSync(join(dir, path));
}

const IN_THE_WAY = /^error: workers\/pricing: "a file" is not valid; workers\/pricing\/.* is generated under it, so it must be a folder: move the file away, then run the command again; nothing was changed$/;

const CASES: [string, Case][] = [
  ["add worker: a file where its folder goes", { args: ["add", "worker", "pricing"], setup: () => fileAt("workers/pricing"), message: IN_THE_WAY }],
  ["add worker: the name taken", { args: ["add", "worker", "scorer"], setup: () => () => {}, message: /^error: worker NAME: "scorer" is not valid; a worker with that name exists/ }],
  ["add ci: configured already", { args: ["add", "ci", "github"], setup: () => () => {}, message: /^error: ci PROVIDER: "github" is not valid; already configured/ }],
  [
    "add ci: a folder where its file goes",
    {
      args: ["add", "ci", "gitlab"],
      setup: () => {
        mkdirSync(join(dir, ".gitlab-ci.yml"));
        return () => rmSync(join(dir, ".gitlab-ci.yml"), { recursive: true });
      },
      message: /^error: \.gitlab-ci\.yml/,
    },
  ],
  ["remove worker: no such worker", { args: ["remove", "worker", "ghost"], setup: () => () => {}, message: /^error: worker NAME: "ghost" is not valid; no such worker/ }],
  ["remove ci: not configured", { args: ["remove", "ci", "gitlab"], setup: () => () => {}, message: /^error: ci PROVIDER: "gitlab" is not valid; not configured/ }],
  [
    "sync: a worker added by hand, a file where its folder goes",
    {
      args: ["sync"],
      setup: () => {
        const undoManifest = withWorker("pricing");
        const undoFile = fileAt("workers/pricing");
        return () => (undoFile(), undoManifest());
      },
      message: IN_THE_WAY,
    },
  ],
];

describe("--dry-run goes through the real run's checks", () => {
  it.each(CASES)("%s: exit 2 and the same line both ways, nothing changed", async (_name, { args, setup, message }) => {
    const undo = setup();
    try {
      const before = changesIn(dir);
      const ref = gitIn(dir, "rev-parse", REF);
      const [real, dry] = [await runCli(args, dir), await runCli([...args, "--dry-run"], dir)];
      for (const [run, how] of [[real, "real"], [dry, "--dry-run"]] as const) {
        const context = `${args.join(" ")} (${how}): ${run.stdout}${run.stderr}`;
        expect(run.exitCode, context).toBe(2);
        expect(run.stderr.trim().split("\n"), context).toHaveLength(1);
        expect(run.stderr.trim(), context).toMatch(message);
        expect(changesIn(dir), context).toBe(before);
        expect(gitIn(dir, "rev-parse", REF), `${context}: the snapshot ref moved`).toBe(ref);
      }
      expect(dry.stderr).toBe(real.stderr);
    } finally {
      undo();
    }
  });
});
