import { readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { LEDGER_FILE } from "../../src/sync/ledger.js";
import { tempDir } from "../helpers/cli.js";
import { addWorker, generate, git, notCRLF, read, sync } from "../helpers/git-repo.js";

/**
 * hybrid-backend.json and .hybrid-backend/ledger.json are compared and
 * written like the generated files: in a CRLF checkout a sync with nothing
 * to do writes nothing (git status stays clean), and a sync that changes
 * them writes them as git would check them out.
 */
vi.setConfig({ testTimeout: 120_000 });
const root = tempDir("chb-sync-records-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

const RECORDS = ["hybrid-backend.json", LEDGER_FILE];

/** What a Windows clone does: the index keeps LF, the working tree is checked out again. */
async function recheckout(dir: string) {
  await git(dir, "rm", "-q", "--cached", "-r", ".");
  await git(dir, "reset", "-q", "--hard");
}

const shapes: [string, (dir: string) => Promise<void>][] = [
  [
    "core.autocrlf=true",
    async (dir) => {
      await git(dir, "config", "core.autocrlf", "true");
    },
  ],
  [
    ".gitattributes eol=crlf",
    async (dir) => {
      writeFileSync(join(dir, ".gitattributes"), "* text=auto eol=crlf\n");
      await git(dir, "add", ".gitattributes");
      await git(dir, "commit", "-qm", "team: CRLF working tree");
    },
  ],
];

/** Every file outside .git: bytes and modification time. */
function state(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile() || path.includes("/.git/")) continue;
    out.set(path, `${statSync(path).mtimeMs} ${read(path, "").toString("base64")}`);
  }
  return out;
}

describe.each(shapes)("a %s checkout", (name, setUp) => {
  const fresh = async (label: string) => {
    const dir = join(root, `${name.replace(/\W+/g, "-")}-${label}`);
    await generate(dir);
    await setUp(dir);
    await recheckout(dir);
    expect(notCRLF(dir, RECORDS), "set-up should leave CRLF records").toEqual([]);
    expect(await git(dir, "status", "--porcelain")).toBe("");
    return dir;
  };

  it("sync with nothing to do writes nothing: bytes, mtimes and git status unchanged", async () => {
    const dir = await fresh("noop");
    const before = state(dir);
    const { code, report } = await sync(dir);
    expect(code).toBe(0);
    expect(report!.files.filter((f) => f.status !== "unchanged")).toEqual([]);
    expect(await git(dir, "status", "--porcelain")).toBe("");
    expect(state(dir)).toEqual(before);
  });

  it("a sync that changes the records writes them in checkout form (CRLF), so git sees only the real change", async () => {
    const dir = await fresh("add");
    const { code } = await addWorker(dir, "pricing");
    expect(code).toBe(0);
    expect(notCRLF(dir, RECORDS)).toEqual([]);
    // Only the lines that changed: a line-ending rewrite would show every line.
    const stat = await git(dir, "diff", "--numstat", "--", "hybrid-backend.json");
    const [added, deleted] = stat.split(/\s+/).map(Number);
    expect(added! + deleted!).toBeLessThan(20);
    // And a second sync has nothing to do again.
    const before = state(dir);
    expect((await sync(dir)).code).toBe(0);
    expect(state(dir)).toEqual(before);
  });
});
