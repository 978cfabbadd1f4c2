import { describe, expect, it } from "vitest";
import type { FileEntry, FileTree } from "../../src/render/index.js";
import { blobId, type Ledger } from "../../src/sync/ledger.js";
import { mergeFile } from "../../src/sync/merge.js";
import { findDrift, mergeMode, planSync } from "../../src/sync/plan.js";
import { file, lines, syncInput } from "../helpers/sync-scenario.js";

/** Last generated = base, what is on disk = ours, new render = theirs. */
function scenario(base: Record<string, string>, disk: Record<string, string>, next: Record<string, string>, { basesLost = false } = {}) {
  return (force = false) => planSync({ ...syncInput(base, disk, next, { basesLost }), force });
}

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

  it("compares a CRLF file by its LF content and writes the update back in CRLF", async () => {
    const crlf = (t: string) => t.replace(/\n/g, "\r\n");
    const base = lines("one", "two", "three", "four");
    const [untouched] = await scenario({ f: base }, { f: crlf(base) }, { f: lines("one", "TWO", "three", "four") })();
    expect(untouched).toMatchObject({ status: "updated" });
    expect(untouched!.write!.content.toString()).toBe(crlf(lines("one", "TWO", "three", "four")));
    const [merged] = await scenario({ f: base }, { f: crlf(lines("mine", "two", "three", "four")) }, { f: lines("one", "two", "three", "FOUR") })();
    expect(merged).toMatchObject({ status: "merged" });
    expect(merged!.write!.content.toString()).toBe(crlf(lines("mine", "two", "three", "FOUR")));
    const [conflict] = await scenario({ f: base }, { f: crlf(lines("one", "mine", "three", "four")) }, { f: lines("one", "theirs", "three", "four") })();
    expect(conflict).toMatchObject({ status: "conflict" });
    expect(conflict!.write!.content.toString()).not.toMatch(/[^\r]\n/);
  });

  it("merges the mode three ways: the template's change applies unless the user changed it", async () => {
    const ledger: Ledger = { generator: "x", manifest: {} as Ledger["manifest"], files: { s: { blob: blobId(Buffer.from("a\n")), mode: 0o644 } } };
    const plan = (disk: FileEntry, next: FileEntry) =>
      planSync({ next: new Map([["s", next]]), ledger, disk: () => disk, exists: () => true, base: () => Buffer.from("a\n"), merge: mergeFile });
    // Content edited, template changed only the mode: the user's content with the new mode.
    const [modeOnly] = await plan(file("mine\n"), file("a\n", 0o755));
    expect(modeOnly).toMatchObject({ status: "merged", write: { content: Buffer.from("mine\n"), mode: 0o755, asIs: true }, record: { mode: 0o755 } });
    // The user made it executable, the template did not touch the mode: kept.
    const [userMode] = await plan(file("a\n", 0o755), file("b\n"));
    expect(userMode).toMatchObject({ status: "updated", write: { content: Buffer.from("b\n"), mode: 0o755 } });
    expect(mergeMode(0o644, 0o644, 0o755)).toBe(0o755);
    expect(mergeMode(0o644, 0o755, 0o644)).toBe(0o755);
    expect(mergeMode(undefined, 0o644, 0o755)).toBe(0o755);
  });

  it("turns a file that cannot be merged into a conflict with the new render beside it", async () => {
    const ledger: Ledger = { generator: "x", manifest: {} as Ledger["manifest"], files: { r: { blob: blobId(Buffer.from("old\n")), mode: 0o644 } } };
    const utf16 = Buffer.from("\ufeffmine\n", "utf16le");
    for (const merge of [mergeFile, async () => Promise.reject(new Error("boom"))]) {
      const [action] = await planSync({ next: new Map([["r", file("new\n")]]), ledger, disk: () => ({ content: utf16, mode: 0o644 }), exists: () => false, base: () => Buffer.from("old\n"), merge });
      expect(action).toMatchObject({ status: "conflict", beside: { content: Buffer.from("new\n") }, record: { conflict: "beside" } });
      expect(action!.write).toBeUndefined();
      expect(action!.reason).toBeTruthy();
    }
  });

  it("keeps reporting an unresolved conflict, writes nothing, and keeps the version it was left against", async () => {
    const marked = lines("<<<<<<< f (yours)", "mine", "=======", "theirs", ">>>>>>> f (newly generated)");
    const ledger: Ledger = { generator: "x", manifest: {} as Ledger["manifest"], files: { f: { blob: blobId(Buffer.from("theirs\n")), mode: 0o644, conflict: "markers" } } };
    const run = (disk: string, beside = false) =>
      planSync({ next: new Map([["f", file("newer\n")]]), ledger, disk: () => file(disk), exists: () => beside, base: () => Buffer.from("theirs\n"), merge: mergeFile });
    const [open] = await run(marked);
    expect(open).toEqual({ path: "f", status: "conflict", unresolved: true, record: ledger.files.f });
    // Resolved: merged against the version the conflict was left against.
    const [resolved] = await run(lines("mine"));
    expect(resolved!.unresolved).toBeUndefined();
    expect(resolved!.record).toEqual({ blob: blobId(Buffer.from("newer\n")), mode: 0o644, conflict: "markers" });
    expect(findDrift(new Map([["f", file("theirs\n")]]), ledger, ["f"])).toEqual([{ path: "f", change: "conflict" }]);
  });
});
