import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { blobId, LEDGER_FILE, parseLedger } from "../../src/sync/ledger.js";
import { runSync } from "../../src/commands/sync.js";
import { readRepoManifest } from "../../src/validate/index.js";
import { checkoutForms, storedForms } from "../../src/write/worktree.js";
import { captureLog, tempDir } from "../helpers/cli.js";
import { addWorker, generate, git, read, statusOf, sync } from "../helpers/git-repo.js";

/**
 * Files git re-encodes on checkout (`working-tree-encoding`): sync looks at
 * what git would commit, never at the working bytes, so a UTF-16 README is
 * merged, and its conflict markers are seen, like any other file's.
 */
vi.setConfig({ testTimeout: 120_000 });
const root = tempDir("chb-sync-encoding-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MODULE = "example.com/app/orchestrator";

/** A generated repo whose README(s) matching `pattern` are checked out as UTF-16LE with a BOM and CRLF. */
async function utf16Readme(dir: string, pattern: string) {
  await generate(dir);
  writeFileSync(join(dir, ".gitattributes"), `${pattern} working-tree-encoding=UTF-16LE-BOM text eol=crlf\n`);
  await git(dir, "add", ".gitattributes");
  rmSync(join(dir, "README.md"));
  await git(dir, "checkout", "--", "README.md");
  await git(dir, "commit", "-qam", "team: UTF-16 README");
  expect(read(dir, "README.md").subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
}

const readUtf16 = (dir: string, path: string) => read(dir, path).toString("utf16le").replace(/^\ufeff/, "");
const writeUtf16 = (dir: string, path: string, text: string) => writeFileSync(join(dir, path), Buffer.from(`\ufeff${text}`, "utf16le"));
const editUtf16 = (dir: string, path: string, change: (t: string) => string) => writeUtf16(dir, path, change(readUtf16(dir, path)));

function setModule(dir: string, module: string) {
  const file = join(dir, "hybrid-backend.json");
  const m = JSON.parse(readFileSync(file, "utf8"));
  m.orchestrator.module = module;
  writeFileSync(file, `${JSON.stringify(m, null, 2)}\n`);
}

const ledgerEntry = (dir: string, path: string) => parseLedger(readFileSync(join(dir, LEDGER_FILE), "utf8")).files[path];

describe("conflict markers in a working-tree-encoding (UTF-16) file", () => {
  it("are seen by sync and sync --check until removed, and the ledger keeps the conflict", async () => {
    const dir = join(root, "markers");
    await utf16Readme(dir, "/README.md");
    editUtf16(dir, "README.md", (t) => t.replaceAll(MODULE, "example.com/team/orch"));
    setModule(dir, "example.com/acme/orch");

    const first = await sync(dir);
    expect(first.code).toBe(3);
    expect(statusOf(first.report!, "README.md")).toBe("conflict");
    const marked = readUtf16(dir, "README.md");
    expect(marked).toContain("<<<<<<< README.md (yours)\r\n");

    const check = await sync(dir, { check: true });
    expect(check.code, check.out).toBe(3);
    expect(check.out).toMatch(/conflict\s+README\.md/);
    const again = await sync(dir);
    expect(again.code).toBe(3);
    expect(again.report!.files).toContainEqual({ path: "README.md", status: "conflict", unresolved: true });
    expect(ledgerEntry(dir, "README.md")?.conflict).toBe("markers");
    expect(readUtf16(dir, "README.md")).toBe(marked);

    // Resolved, the team's module kept: clean again.
    editUtf16(dir, "README.md", (t) => t.replace(/^<<<<<<< .*\r\n|^=======\r\n[\s\S]*?^>>>>>>> .*\r\n/gm, ""));
    expect((await sync(dir)).code).toBe(0);
    expect((await sync(dir, { check: true })).code).toBe(0);
    expect(ledgerEntry(dir, "README.md")?.conflict).toBeUndefined();
    expect(readUtf16(dir, "README.md")).toContain("example.com/team/orch");
  });
});

describe("the records (manifest, ledger) under working-tree-encoding=UTF-16", () => {
  // They were read as raw bytes: UTF-16 is no JSON, so every command failed (exit 2, "not valid JSON").
  it("are read as git stores them, like the generated files: sync, --check, add and validate's read all work", async () => {
    const dir = join(root, "utf16-records");
    await generate(dir);
    const records = ["hybrid-backend.json", LEDGER_FILE];
    writeFileSync(join(dir, ".gitattributes"), records.map((p) => `/${p} working-tree-encoding=UTF-16LE-BOM text eol=crlf\n`).join(""));
    await git(dir, "add", ".gitattributes");
    for (const p of records) rmSync(join(dir, p));
    await git(dir, "checkout", "--", ...records);
    await git(dir, "commit", "-qm", "team: UTF-16 records");
    for (const p of records) expect(read(dir, p).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));

    expect((await readRepoManifest(dir)).name).toBe("app");
    const check = await sync(dir, { check: true });
    expect(check.code, check.out).toBe(0);
    const first = await sync(dir);
    expect(first.code, first.out).toBe(0);
    expect(await git(dir, "status", "--porcelain")).toBe("");

    const added = await addWorker(dir, "pricing");
    expect(added.code).toBe(0);
    // Written back in the checkout form: still UTF-16, and git sees only the real change.
    for (const p of records) expect(read(dir, p).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
    expect(JSON.parse(readUtf16(dir, "hybrid-backend.json")).workers.map((w: { name: string }) => w.name)).toEqual(["scorer", "pricing"]);
    expect(parseLedger(readUtf16(dir, LEDGER_FILE)).files["workers/pricing/Cargo.toml"]).toBeDefined();
    const [addedLines, deletedLines] = (await git(dir, "diff", "--numstat", "--", "hybrid-backend.json")).split(/\s+/).map(Number);
    expect(addedLines! + deletedLines!).toBeLessThan(20);
    expect((await sync(dir, { check: true })).code).toBe(0);
  });
});

describe("a file git cannot convert to its stored form", () => {
  it("affects only itself: the others keep their stored forms, and git's message names it", async () => {
    const dir = join(root, "one-bad");
    mkdirSync(dir, { recursive: true });
    await git(dir, "init", "-q");
    writeFileSync(join(dir, ".gitattributes"), "*.md working-tree-encoding=UTF-16LE-BOM text eol=crlf\n");
    // UTF-8 where UTF-16 is declared, an odd number of bytes (no UTF-16 text): git cannot
    // convert it; the files before and after it can.
    writeFileSync(join(dir, "bad.md"), "odd length\n");
    writeUtf16(dir, "a.md", "first\r\n");
    writeUtf16(dir, "z.md", "last\r\n");
    const files = new Map(["a.md", "bad.md", "z.md"].map((p) => [p, read(dir, p)]));
    const { forms, failed } = await storedForms({ top: dir, prefix: "" }, files, blobId);
    expect(forms.get("a.md")?.toString()).toBe("first\n");
    expect(forms.get("z.md")?.toString()).toBe("last\n");
    expect(forms.has("bad.md")).toBe(false);
    expect([...failed.keys()]).toEqual(["bad.md"]);
    expect(failed.get("bad.md")).toMatch(/failed to encode 'bad\.md' from UTF-16LE-BOM/);
  });

  it("a rule that also matches a UTF-8 README: the UTF-16 one still merges, and sync names the other with git's words", async () => {
    const dir = join(root, "unslashed");
    await generate(dir);
    // No leading slash: workers/scorer/README.md matches too, and it is UTF-8.
    writeFileSync(join(dir, ".gitattributes"), "README.md working-tree-encoding=UTF-16LE-BOM text eol=crlf\n");
    // The root README the team's way: UTF-16 in the work tree, so git stores the same UTF-8.
    // (Renormalizing the UTF-8 file instead stored garbage whenever its bytes happened to read as
    // UTF-16, which depended on the template's text: an even length and no lone surrogate.)
    writeUtf16(dir, "README.md", read(dir, "README.md").toString("utf8").replace(/\n/g, "\r\n"));
    await git(dir, "add", ".gitattributes", "README.md");
    // Not commit -a: git would re-read workers/scorer/README.md if its stat looks racy, and die on it.
    await git(dir, "commit", "-qm", "team: UTF-16 READMEs");
    expect(await git(dir, "status", "--porcelain", "README.md")).toBe("");
    // The worker's UTF-8 README can never be read as UTF-16 at an odd length (a lone last byte):
    // made so, whatever length the template gives it.
    const workerReadme = read(dir, "workers/scorer/README.md");
    if (workerReadme.length % 2 === 0) writeFileSync(join(dir, "workers/scorer/README.md"), Buffer.concat([workerReadme, Buffer.from("\n")]));
    editUtf16(dir, "README.md", (t) => `${t}Team notes.\r\n`);
    setModule(dir, "example.com/acme/orch");

    const { code, report } = await sync(dir);
    expect(code, JSON.stringify(report!.files.filter((f) => f.status === "conflict"))).toBe(0);
    expect(statusOf(report!, "README.md")).toBe("merged");
    expect(existsSync(join(dir, "README.md.generated"))).toBe(false);
    const readme = readUtf16(dir, "README.md");
    expect(readme).toContain("example.com/acme/orch");
    expect(readme).toContain("Team notes.\r\n");
    const scorer = report!.files.find((f) => f.path === "workers/scorer/README.md") as { unconverted?: string };
    expect(scorer.unconverted).toMatch(/failed to encode 'workers\/scorer\/README\.md'/);
    expect(report!.files.filter((f) => (f as { unconverted?: string }).unconverted).map((f) => f.path)).toEqual(["workers/scorer/README.md"]);

    const check = await sync(dir, { check: true });
    expect(check.code).toBe(0);
    expect(check.out).toMatch(/unconverted\s+workers\/scorer\/README\.md\s+\(git: failed to encode 'workers\/scorer\/README\.md'/);
  });
});

describe("a file git cannot check out", () => {
  it("affects only itself: the others still get their checkout form", async () => {
    const dir = join(root, "one-unsmudgeable");
    mkdirSync(dir, { recursive: true });
    await git(dir, "init", "-q");
    // A required smudge filter that fails: checkout-index exits non-zero for that one path.
    writeFileSync(join(dir, ".gitattributes"), "*.txt text eol=crlf\nbad.txt filter=broken\n");
    await git(dir, "config", "filter.broken.smudge", "false");
    await git(dir, "config", "filter.broken.required", "true");
    const files = new Map(["a.txt", "bad.txt", "z.txt"].map((p) => [p, Buffer.from(`${p}\nline\n`)]));
    const { forms, failed } = await checkoutForms({ top: dir, prefix: "" }, files);
    expect(forms.get("a.txt")?.toString()).toBe("a.txt\r\nline\r\n");
    expect(forms.get("z.txt")?.toString()).toBe("z.txt\r\nline\r\n");
    expect(forms.has("bad.txt")).toBe(false);
    // Named with git's message, as storedForms names a file it cannot convert (it gave none).
    expect([...failed.keys()]).toEqual(["bad.txt"]);
    expect(failed.get("bad.txt")).toMatch(/bad\.txt/);
  });

  it("sync names it in its report (human and --json), with git's words, and writes the rest as checked out", async () => {
    const dir = join(root, "sync-unsmudgeable");
    await generate(dir);
    writeFileSync(join(dir, ".gitattributes"), "/README.md filter=broken\n");
    await git(dir, "add", ".gitattributes");
    await git(dir, "commit", "-qm", "team: a smudge filter");
    await git(dir, "config", "filter.broken.smudge", "false");
    await git(dir, "config", "filter.broken.clean", "cat");
    await git(dir, "config", "filter.broken.required", "true");
    setModule(dir, "example.com/acme/orch");

    const { code, out, report } = await sync(dir);
    expect(code, out).toBe(0);
    const failed = (report as unknown as { notCheckedOut?: { path: string; unconverted: string }[] }).notCheckedOut;
    expect(failed?.map((f) => f.path)).toEqual(["README.md"]);
    expect(failed![0]!.unconverted).toMatch(/README\.md/);
    expect(read(dir, "README.md").toString()).toContain("example.com/acme/orch");

    setModule(dir, "example.com/other/orch");
    const human = await captureLog(() => runSync(dir, {}));
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/git could not convert these to the form it checks out, so sync wrote them as git stores them/);
    expect(human.out).toMatch(/unconverted\s+README\.md\s+\(git: README\.md: smudge filter broken failed\)/);
  });
});
