import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { pathFault } from "../../src/clean-path.js";
import { UsageError } from "../../src/errors.js";
import { LEDGER_FILE, parseLedger } from "../../src/sync/ledger.js";
import { obstacle, readObstacle } from "../../src/write/repo-path.js";
import { RAW_INVISIBLE, runCli, snapshot, tempDir } from "../helpers/cli.js";

/**
 * The ledger's paths are what sync reads, overwrites and deletes. A crafted
 * entry "../victim.txt" once made sync delete a file outside the repository.
 * Every kind of unclean path is refused where the ledger is read (exit 2,
 * naming the ledger, the path escaped, and the rule), and again where the
 * disk is touched.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

/** Each kind of path sync must never follow, with the fault named for it. */
const BAD: [string, string, RegExp][] = [
  ["a .. part, leading", "../victim.txt", /a \.\. part/],
  ["a .. part, inside", "workers/../../victim.txt", /a \.\. part/],
  ["a .. part, alone", "..", /a \.\. part/],
  ["a . part", "./Makefile", /a \. part/],
  ["a . part, inside", "workers/./x", /a \. part/],
  ["absolute", "/etc/passwd", /absolute/],
  ["absolute, doubled", "//server/share/x", /absolute/],
  ["an empty part", "workers//x", /empty part/],
  ["a trailing /", "workers/", /empty part/],
  ["empty", "", /empty/],
  ["a backslash", "..\\victim.txt", /backslash/],
  ["a backslash, inside", "workers\\x", /backslash/],
  ["a drive letter", "C:/victim.txt", /drive letter/],
  ["a NUL", "Makefile\u0000.txt", /control character/],
  ["a newline", "a\nb", /control character/],
  ["a C1 control", "a\u0085b", /control character/],
  [".git", ".git/config", /\.git folder/],
  [".git, inside", "workers/.git/hooks/pre-commit", /\.git folder/],
  [".GIT", ".GIT/config", /\.git folder/],
  [".git with a trailing dot", ".git./config", /\.git folder/],
  ["git~1", "GIT~1/config", /\.git folder/],
  ["the manifest", "hybrid-backend.json", /the manifest or the ledger/],
  ["the manifest, other case", "HYBRID-BACKEND.JSON", /the manifest or the ledger/],
  ["the ledger", ".hybrid-backend/ledger.json", /the manifest or the ledger/],
];

const GOOD = [".github/workflows/ci.yml", ".hybrid-backend/manifest.schema.json", "workers/scorer/src/main.rs", "Makefile", ".gitignore", "a..b/c.d", "...x"];

function ledgerWith(paths: string[]): string {
  const files = Object.fromEntries(paths.map((p) => [p, { blob: BLOB, mode: 420 }]));
  return JSON.stringify({ generator: "0.1.0", manifest: {}, files });
}

function refusal(text: string): UsageError {
  try {
    parseLedger(text);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error("accepted");
}

describe("parseLedger refuses every kind of unclean path", () => {
  it.each(BAD)("%s: %j", (_kind, path, fault) => {
    const err = refusal(ledgerWith(["Makefile", path]));
    expect(err.field).toBe(`${LEDGER_FILE} files`);
    expect(err.value).toBe(path);
    expect(err.message).toMatch(fault);
    expect(err.message).toContain("sync reads and deletes only inside the repository");
    expect(err.message).not.toMatch(RAW_INVISIBLE);
  });

  it("accepts the clean paths a project has", () => {
    expect(Object.keys(parseLedger(ledgerWith(GOOD)).files)).toEqual(GOOD);
    for (const path of GOOD) expect(pathFault(path)).toBeUndefined();
  });
});

describe("the disk is touched only at clean paths (repo-path.ts)", () => {
  const dir = tempDir("chb-ledger-paths-");
  mkdirSync(join(dir, "repo", "workers"), { recursive: true });
  const repo = join(dir, "repo");
  writeFileSync(join(dir, "victim.txt"), "victim\n");

  it.each(BAD.filter(([, path]) => !/^(hybrid-backend\.json|\.hybrid-backend\/ledger\.json|HYBRID-BACKEND\.JSON)$/.test(path)))(
    "readObstacle and obstacle refuse %s: %j",
    (_kind, path) => {
      expect(readObstacle(repo, path)).toBeInstanceOf(UsageError);
      expect(obstacle(repo, path)).toBeInstanceOf(UsageError);
    },
  );

  it("readObstacle never accepts a .. escape, even where the folder above exists", () => {
    for (const path of ["../victim.txt", "workers/../../victim.txt", "workers/../x"]) expect(readObstacle(repo, path)).toBeInstanceOf(UsageError);
  });
});

describe("sync with a crafted ledger (built CLI)", () => {
  let dir: string;
  let victim: string;
  let ledger: string;
  beforeAll(async () => {
    const parent = tempDir("chb-ledger-paths-");
    dir = join(parent, "app");
    victim = join(parent, "victim.txt");
    const created = await runCli(["app", "--yes", "--no-validate"], parent);
    expect(created.exitCode, created.stderr).toBe(0);
    ledger = readFileSync(join(dir, LEDGER_FILE), "utf8");
  });

  const crafted: [path: string, shown: string][] = [
    ["../victim.txt", '"../victim.txt"'],
    ["workers/../../victim.txt", '"workers/../../victim.txt"'],
    ["../victim.txt\u202e", '"../victim.txt\\u202e"'],
  ];
  for (const [path, escaped] of crafted) {
    for (const argv of [["sync"], ["sync", "--force"], ["sync", "--check"], ["sync", "--dry-run"], ["remove", "ci", "github"]]) {
      it(`${argv.join(" ")} refuses ${JSON.stringify(path)} and deletes nothing outside (or inside)`, async () => {
        writeFileSync(victim, "victim\n");
        const blob = execFileSync("git", ["hash-object", victim], { encoding: "utf8" }).trim();
        const crafted = JSON.parse(ledger);
        crafted.files[path] = { blob, mode: 420 };
        writeFileSync(join(dir, LEDGER_FILE), JSON.stringify(crafted, null, 2));
        const before = snapshot(dir);
        const result = await runCli(argv, dir);
        expect(result.exitCode, result.stdout + result.stderr).toBe(2);
        const lines = result.stderr.trim().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^error: \\.hybrid-backend/ledger\\.json files: ${escaped.replace(/[.\\\\]/g, "\\$&")} is not valid; it has a \\.\\. part; .*sync reads and deletes only inside the repository`));
        expect(result.stderr).not.toMatch(RAW_INVISIBLE);
        expect(existsSync(victim)).toBe(true);
        expect(snapshot(dir)).toEqual(before);
      });
    }
  }
});
