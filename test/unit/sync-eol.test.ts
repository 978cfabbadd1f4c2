import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { toCRLF } from "../../src/sync/eol.js";
import { tempDir } from "../helpers/cli.js";
import { addWorker, edit, generate, git, notCRLF, read, statusOf, sync } from "../helpers/git-repo.js";

/**
 * Line endings belong to the checkout: a CRLF working tree (core.autocrlf,
 * `eol=crlf` in .gitattributes, or CRLF files with no git at all) must sync
 * like an LF one: nothing nobody edited conflicts, merges keep CRLF, and
 * conflict markers are CRLF too.
 */
vi.setConfig({ testTimeout: 120_000 });
const root = tempDir("chb-sync-eol-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TEXT = ["docker-compose.yml", "README.md", "Makefile", ".github/workflows/ci.yml", "workers/Cargo.toml"];
const TEAM_NOTE = "# team: compose is for local runs only";

/** Each way a team ends up with CRLF files on disk. */
const shapes: [string, (dir: string) => Promise<void>][] = [
  [
    "core.autocrlf=true checkout",
    async (dir) => {
      await generate(dir);
      await git(dir, "config", "core.autocrlf", "true");
      await recheckout(dir);
    },
  ],
  [
    ".gitattributes eol=crlf checkout",
    async (dir) => {
      await generate(dir);
      writeFileSync(join(dir, ".gitattributes"), "* text=auto eol=crlf\n");
      await git(dir, "add", ".gitattributes");
      await git(dir, "commit", "-qm", "team: CRLF working tree");
      await recheckout(dir);
    },
  ],
  [
    "CRLF files without git",
    async (dir) => {
      await generate(dir, { commit: false });
      for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = join(entry.parentPath, entry.name);
        writeFileSync(file, toCRLF(read(file, "")));
      }
    },
  ],
];

/** What a Windows clone does: the index keeps LF, the working tree is checked out again. */
async function recheckout(dir: string) {
  await git(dir, "rm", "-q", "--cached", "-r", ".");
  await git(dir, "reset", "-q", "--hard");
}

describe.each(shapes)("%s", (name, setUp) => {
  const fresh = async (label: string) => {
    const dir = join(root, `${name.replace(/\W+/g, "-")}-${label}`);
    await setUp(dir);
    expect(notCRLF(dir, TEXT), "set-up should leave CRLF files").toEqual([]);
    return dir;
  };

  it("with no edits: sync is a no-op and add worker is clean, CRLF kept, new files as git checks them out", async () => {
    const dir = await fresh("clean");
    const first = await sync(dir);
    expect(first.code).toBe(0);
    expect(first.report!.files.filter((f) => f.status !== "unchanged")).toEqual([]);
    const linesBefore = read(dir, "docker-compose.yml").toString().split("\n").length;
    const { code, report } = await addWorker(dir, "pricing");
    expect(code, JSON.stringify(report.files.filter((f) => f.status === "conflict"))).toBe(0);
    expect(statusOf(report, "docker-compose.yml")).toBe("updated");
    expect(notCRLF(dir, TEXT)).toEqual([]);
    expect(read(dir, "docker-compose.yml").toString()).toContain("WORKER_PRICING_ADDR: pricing:50052\r\n");
    if (!name.includes("without git")) {
      // New files come out the way git would check them out (CRLF here), and git sees only the real change.
      expect(notCRLF(dir, ["workers/pricing/Cargo.toml"])).toEqual([]);
      await git(dir, "add", "-A");
      const numstat = await git(dir, "diff", "--cached", "--numstat", "--", "docker-compose.yml");
      // Only the worker's lines added: no line rewritten for its line ending.
      const added = read(dir, "docker-compose.yml").toString().split("\n").length - linesBefore;
      expect(added).toBeGreaterThan(5);
      expect(numstat).toBe(`${added}\t0\tdocker-compose.yml`);
    }
    expect((await sync(dir, { check: true })).code).toBe(0);
  });

  it("with an edit: merged, the edit kept, every line still CRLF", async () => {
    const dir = await fresh("edit");
    edit(dir, "docker-compose.yml", (t) => `${TEAM_NOTE}\r\n${t}`);
    const { code, report } = await addWorker(dir, "pricing");
    expect(code).toBe(0);
    expect(statusOf(report, "docker-compose.yml")).toBe("merged");
    const compose = read(dir, "docker-compose.yml").toString();
    expect(compose).toContain(`${TEAM_NOTE}\r\n`);
    expect(compose).toContain("      - pricing\r\n");
    expect(notCRLF(dir, TEXT)).toEqual([]);
    const again = await sync(dir);
    expect(again.report!.files.filter((f) => f.status !== "unchanged")).toEqual([]);
  });

  it("with a conflicting edit: markers in CRLF like the rest of the file", async () => {
    const dir = await fresh("conflict");
    edit(dir, "docker-compose.yml", (t) => t.replace("      - scorer\r\n", "      - scorer # team\r\n"));
    const { code, report } = await addWorker(dir, "pricing");
    expect(code).toBe(3);
    expect(statusOf(report, "docker-compose.yml")).toBe("conflict");
    const compose = read(dir, "docker-compose.yml").toString();
    expect(compose).toMatch(/^<<<<<<< docker-compose\.yml \(yours\)\r$/m);
    expect(compose).toMatch(/^=======\r$/m);
    expect(compose).toMatch(/^>>>>>>> docker-compose\.yml \(newly generated\)\r$/m);
    expect(notCRLF(dir, TEXT)).toEqual([]);
  });
});
