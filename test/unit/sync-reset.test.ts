import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { snapshotStale } from "../../src/sync/snapshot-check.js";
import type { Ledger } from "../../src/sync/ledger.js";
import { SNAPSHOT_REF } from "../../src/write/snapshot-ref.js";
import { builtApp, gitIn } from "../helpers/built-app.js";
import { runCli } from "../helpers/cli.js";

/**
 * The snapshot ref records the last generated tree; the ledger in the
 * checked-out commit records what was generated there. A `git reset --hard`
 * to a commit before the last sync parts them: sync merges against the
 * ledger's record (never the ref) and records it on the ref again, saying
 * so, so `git diff <ref>` shows the team's own edits once more.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let dir: string;
beforeEach(async () => {
  ({ dir } = await builtApp("chb-sync-reset-"));
});

const git = (...args: string[]) => gitIn(dir, ...args);
/** What the ref's tip differs in from HEAD, the records sync keeps beside it (manifest, ledger) aside. */
const refVsHead = () => git("diff", "--name-only", SNAPSHOT_REF, "HEAD", "--", ".", ":!hybrid-backend.json", ":!.hybrid-backend").trim();
const NOTE = /^ {2}\(refs\/hybrid-backend\/generated recorded another generation than this commit's ledger, as after a git reset to a commit before the last sync: sync merges against the ledger's record, now recorded on the ref again\)$/m;

describe("sync after git reset --hard to a commit before the last sync", () => {
  it("records the checked-out ledger's tree on the ref again, says so once, and merges against the ledger", async () => {
    const add = await runCli(["add", "worker", "pricing"], dir);
    expect(add.exitCode, add.stderr).toBe(0);
    git("add", "-A");
    git("commit", "-qm", "add pricing");
    expect(refVsHead()).toBe("");
    git("reset", "-q", "--hard", "HEAD~1");
    // The ref still holds pricing's files: stale.
    expect(refVsHead()).toMatch(/^workers\/pricing\//m);

    const dry = await runCli(["sync", "--dry-run"], dir);
    expect(dry.stdout).toMatch(/and will record it on the ref again\)$/m);
    expect(refVsHead()).toMatch(/^workers\/pricing\//m);
    const sync = await runCli(["sync"], dir);
    expect(sync.exitCode, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(NOTE);
    expect(refVsHead()).toBe("");
    expect(git("status", "--porcelain")).toBe("");
    const again = await runCli(["sync", "--json"], dir);
    expect(JSON.parse(again.stdout)).not.toHaveProperty("snapshotRerecorded");

    // A team edit and a template change in one file merge against this commit's record, not the later one.
    const readme = join(dir, "README.md");
    writeFileSync(readme, `${readFileSync(readme, "utf8")}\nOur own notes.\n`);
    const fraud = await runCli(["add", "worker", "fraud"], dir);
    expect(fraud.exitCode, fraud.stdout).toBe(0);
    expect(readFileSync(readme, "utf8")).toMatch(/Our own notes\.\n$/);
    expect(readFileSync(readme, "utf8")).toContain("`workers/fraud/`");
    expect(git("diff", SNAPSHOT_REF, "--", "README.md")).toMatch(/^\+Our own notes\.$/m);
    expect((await runCli(["sync", "--check"], dir)).exitCode).toBe(0);
  });
});

describe("snapshotStale", () => {
  const ledger = (files: Ledger["files"]) => ({ generator: "0", manifest: {} as Ledger["manifest"], files });
  it("is false when the ref names the ledger's blobs, or another blob only where a conflict is open", () => {
    expect(snapshotStale(ledger({ a: { blob: "1", mode: 0o644 } }), new Map([["a", "1"]]))).toBe(false);
    expect(snapshotStale(ledger({ a: { blob: "1", mode: 0o644, conflict: "markers" } }), new Map([["a", "2"]]))).toBe(false);
  });
  it("is true for another blob, a path more or a path fewer", () => {
    expect(snapshotStale(ledger({ a: { blob: "1", mode: 0o644 } }), new Map([["a", "2"]]))).toBe(true);
    expect(snapshotStale(ledger({ a: { blob: "1", mode: 0o644 } }), new Map([["a", "1"], ["b", "3"]]))).toBe(true);
    expect(snapshotStale(ledger({ a: { blob: "1", mode: 0o644 }, b: { blob: "3", mode: 0o644 } }), new Map([["a", "1"]]))).toBe(true);
  });
});
