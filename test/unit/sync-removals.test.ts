import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/errors.js";
import { LEDGER_FILE, parseLedger } from "../../src/sync/ledger.js";
import type { FileAction } from "../../src/sync/plan.js";
import { applySync } from "../../src/write/sync.js";
import { asideName } from "../../src/write/temp-names.js";
import { builtApp, changesIn, gitIn } from "../helpers/built-app.js";

/**
 * Removing files is part of sync's all or nothing: a file it cannot delete
 * (its folder not writable, something else in its place) is found before
 * anything changes, so the run exits 2 naming it with the repo as it was
 * and no temp file left. These tests run as root, where a folder's
 * permissions stop nothing, so the failure is made by what stands in the
 * way instead.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let dir: string;
beforeEach(async () => {
  ({ dir } = await builtApp("chb-sync-removals-"));
});

const git = (...args: string[]) => gitIn(dir, ...args);
const changes = () => changesIn(dir);
const ledger = () => parseLedger(readFileSync(join(dir, LEDGER_FILE), "utf8"));
const manifest = () => ({ path: "hybrid-backend.json", content: Buffer.from('{"changed": true}\n') });

/** An update to the Makefile, the new manifest, then the removals: what `remove worker` does, in small. */
function actions(...removed: string[]): FileAction[] {
  const update: FileAction = { path: "Makefile", status: "updated", write: { content: Buffer.from("new\n"), mode: 0o644, asIs: true } };
  return [update, ...removed.map((path): FileAction => ({ path, status: "removed", remove: true }))];
}

async function expectRefused(removed: string[], message: RegExp) {
  const before = changes();
  const run = applySync(dir, actions(...removed), { worktree: undefined, ledger: { ...ledger(), files: {} }, generated: new Map(), manifest: manifest() });
  await expect(run).rejects.toBeInstanceOf(UsageError);
  await expect(run).rejects.toThrow(message);
  // Nothing changed: not the Makefile, the manifest, the ledger, nor a removal done before the one that failed.
  expect(changes()).toBe(before);
  expect(changes()).not.toMatch(/hybrid-backend-\d+(-[0-9a-f-]+)?\.(tmp|removing)$/m);
}

describe("a file sync cannot remove", () => {
  it("because it cannot be set aside (the way a folder that is not writable stops it): exit 2 naming it, nothing changed", async () => {
    // README.md is set aside first, then .editorconfig's rename fails: README.md must come back.
    mkdirSync(asideName(join(dir, ".editorconfig")));
    writeFileSync(join(asideName(join(dir, ".editorconfig")), "in the way"), "x\n");
    await expectRefused(["README.md", ".editorconfig"], /^\.editorconfig: "E\w+" is not valid; sync could not remove it, so it changed nothing/);
  });

  it("because something else stands in its place: refused before the files before it are renamed into place", async () => {
    rmSync(join(dir, "README.md"));
    mkdirSync(join(dir, "README.md"));
    writeFileSync(join(dir, "README.md", "ours"), "x\n");
    await expectRefused(["buf.yaml", "README.md"], /^README\.md: "a folder" is not valid; /);
  });
});

describe("removals that succeed", () => {
  it("delete the files and the folders they leave empty, and leave no temp file", async () => {
    await applySync(dir, actions("README.md", "proto/scoring/v1/scoring.proto"), { worktree: undefined, ledger: ledger(), generated: new Map() });
    expect(existsSync(join(dir, "README.md"))).toBe(false);
    expect(existsSync(join(dir, "proto", "scoring"))).toBe(false);
    expect(existsSync(join(dir, "proto", "buf"))).toBe(true);
    expect(changes().split("\n").filter(Boolean).sort()).toEqual([" D README.md", " D proto/scoring/v1/scoring.proto", " M Makefile"]);
  });

  it("are undone by Ctrl-C while sync stages its files", async () => {
    const before = changes();
    const write = {
      mode: 0o644,
      asIs: true,
      get content() {
        process.emit("SIGINT", "SIGINT");
        return Buffer.from("new\n");
      },
    };
    const staged = [{ path: "Makefile", status: "updated", write }, { path: "README.md", status: "removed", remove: true }] as unknown as FileAction[];
    const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    try {
      await expect(applySync(dir, staged, { worktree: undefined, ledger: ledger(), generated: new Map() })).rejects.toThrow("exit 130");
    } finally {
      exit.mockRestore();
    }
    expect(changes()).toBe(before);
  });
});
