import { describe, expect, it } from "vitest";
import type { FileEntry, FileTree } from "../../src/render/index.js";
import { blobId, type Ledger } from "../../src/sync/ledger.js";
import { mergeFile } from "../../src/sync/merge.js";
import { findDrift, planSync } from "../../src/sync/plan.js";

const file = (text: string, mode = 0o644): FileEntry => ({ content: Buffer.from(text), mode });

/** Last generated = base, what is on disk = ours, new render = theirs. */
function scenario(base: Record<string, string>, disk: Record<string, string>, next: Record<string, string>, { basesLost = false } = {}) {
  const ledger: Ledger = {
    generator: "0.1.0",
    manifest: {} as Ledger["manifest"],
    files: Object.fromEntries(Object.entries(base).map(([p, t]) => [p, { blob: blobId(Buffer.from(t)), mode: 0o644 }])),
  };
  const blobs = new Map(Object.values(base).map((t) => [blobId(Buffer.from(t)), Buffer.from(t)]));
  const tree: FileTree = new Map(Object.entries(next).map(([p, t]) => [p, file(t)]));
  return (force = false) =>
    planSync({
      next: tree,
      ledger,
      disk: (p) => (p in disk ? file(disk[p]!) : undefined),
      exists: (p) => p in disk,
      base: (id) => (basesLost ? undefined : blobs.get(id)),
      merge: mergeFile,
      force,
    });
}

const lines = (...l: string[]) => `${l.join("\n")}\n`;

describe("sync plan", () => {
  it("rewrites files the user never touched and leaves current ones alone", async () => {
    const plan = await scenario({ a: "1\n", b: "x\n" }, { a: "1\n", b: "x\n" }, { a: "2\n", b: "x\n" })();
    expect(plan.map((a) => [a.path, a.status])).toEqual([["a", "updated"], ["b", "unchanged"]]);
    expect(plan[0]!.write!.content.toString()).toBe("2\n");
  });

  it("keeps a user's edit when the template did not change that file", async () => {
    const plan = await scenario({ a: "1\n" }, { a: "mine\n" }, { a: "1\n" })();
    expect(plan).toMatchObject([{ path: "a", status: "unchanged" }]);
    expect(plan[0]!.write).toBeUndefined();
  });

  it("merges edits to different lines", async () => {
    const base = lines("one", "two", "three", "four", "five");
    const ours = lines("one", "TWO (mine)", "three", "four", "five");
    const theirs = lines("one", "two", "three", "four", "FIVE (new)");
    const [action] = await scenario({ f: base }, { f: ours }, { f: theirs })();
    expect(action!.status).toBe("merged");
    expect(action!.write!.content.toString()).toBe(lines("one", "TWO (mine)", "three", "four", "FIVE (new)"));
  });

  it("marks a conflict when both changed the same line", async () => {
    const [action] = await scenario({ f: lines("a", "b") }, { f: lines("a", "mine") }, { f: lines("a", "theirs") })();
    expect(action!.status).toBe("conflict");
    const text = action!.write!.content.toString();
    expect(text).toContain("mine");
    expect(text).toContain("theirs");
    expect(text).toMatch(/^<<<<<<< f \(yours\)$/m);
  });

  it("leaves a deleted file deleted unless forced", async () => {
    const run = scenario({ f: "x\n" }, {}, { f: "y\n" });
    expect(await run()).toMatchObject([{ path: "f", status: "kept-deleted" }]);
    const [forced] = await run(true);
    expect(forced!.status).toBe("restored");
  });

  it("removes a file no longer generated only if the user never changed it", async () => {
    const plan = await scenario({ a: "x\n", b: "y\n" }, { a: "x\n", b: "edited\n" }, {})();
    expect(plan.map((a) => [a.path, a.status])).toEqual([["a", "removed"], ["b", "kept"]]);
  });

  it("adds new files, and conflicts rather than overwrite a same-named file of the user's", async () => {
    const plan = await scenario({}, { mine: "user's own\n" }, { fresh: "new\n", mine: "generated\n" })();
    expect(plan.map((a) => [a.path, a.status])).toEqual([["fresh", "added"], ["mine", "conflict"]]);
    expect(plan[1]!.write!.content.toString()).toContain("user's own");
  });

  it("marks the whole file when the last generated version cannot be found", async () => {
    const plan = await scenario({ f: lines("a", "b") }, { f: lines("a", "mine") }, { f: lines("a", "b", "c") }, { basesLost: true })();
    expect(plan[0]).toMatchObject({ path: "f", status: "conflict", baseMissing: true });
    expect(plan[0]!.write!.content.toString()).toContain("mine");
  });

  it("reports drift from the manifest or templates, never from the user's edits", () => {
    const ledger = { generator: "x", manifest: {} as Ledger["manifest"], files: { a: { blob: blobId(Buffer.from("1\n")), mode: 0o644 }, gone: { blob: blobId(Buffer.from("g")), mode: 0o644 } } };
    const next: FileTree = new Map([["a", file("1\n")], ["new", file("n")]]);
    expect(findDrift(next, ledger)).toEqual([{ path: "gone", change: "gone" }, { path: "new", change: "new" }]);
    expect(findDrift(new Map([["a", file("1\n")], ["gone", file("g")]]), ledger)).toEqual([]);
  });
});
