import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { LEDGER_FILE, parseLedger } from "../../src/sync/ledger.js";
import { tempDir } from "../helpers/cli.js";
import { generate, git, read, statusOf, sync } from "../helpers/git-repo.js";

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
