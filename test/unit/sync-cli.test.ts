import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * sync / add / remove through the built CLI, as a team would run them: exit
 * codes, what is written and, for bad input, that nothing is.
 */
// Each case runs the CLI several times; a shared 2-core machine needs more than vitest's 5 s.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let dir: string;
beforeEach(async () => {
  const parent = tempDir("chb-sync-cli-");
  dir = join(parent, "app");
  const created = await runCli(["app", "--yes", "--no-validate", "--module", "github.com/acme/app/orchestrator"], parent);
  expect(created.exitCode, created.stderr).toBe(0);
});

const read = (path: string) => readFileSync(join(dir, path), "utf8");
const edit = (path: string, change: (t: string) => string) => writeFileSync(join(dir, path), change(read(path)));
const setManifest = (change: (m: Record<string, any>) => void) =>
  edit("hybrid-backend.json", (t) => {
    const m = JSON.parse(t);
    change(m);
    return `${JSON.stringify(m, null, 2)}\n`;
  });

/** Every file's bytes (outside .git), to prove a command wrote nothing. */
function fingerprint(): string {
  const hash = createHash("sha256");
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }).sort((a, b) => (join(a.parentPath, a.name) < join(b.parentPath, b.name) ? -1 : 1))) {
    const path = join(entry.parentPath, entry.name);
    if (path.includes(`${join(dir, ".git")}`) || !entry.isFile()) continue;
    hash.update(path).update(readFileSync(path));
  }
  return hash.digest("hex");
}


/** A toolchain bump, with the digest of its base image that the manifest then requires (a test value). */
function bumpRust(m: Record<string, any>) {
  m.toolchains.rust = "1.96.0";
  m.images["rust:1.96.0-bookworm"] = `sha256:${"96".repeat(32)}`;
}
describe("sync", () => {
  it("is a no-op on a fresh repo, and --check agrees", async () => {
    const before = fingerprint();
    const sync = await runCli(["sync"], dir);
    expect(sync.exitCode, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/unchanged/);
    expect((await runCli(["sync", "--check"], dir)).exitCode).toBe(0);
    expect(fingerprint()).toBe(before);
  });

  it("--check exits 3 on manifest drift, not on the team's own edits", async () => {
    edit("Makefile", (t) => `${t}\n# ours\n`);
    expect((await runCli(["sync", "--check"], dir)).exitCode).toBe(0);
    setManifest(bumpRust);
    const check = await runCli(["sync", "--check"], dir);
    expect(check.exitCode).toBe(3);
    expect(check.stdout).toContain(".github/workflows/ci.yml");
    expect(check.stdout).not.toContain("Makefile");
  });

  it("--dry-run shows the diff and writes nothing", async () => {
    setManifest(bumpRust);
    const before = fingerprint();
    const dry = await runCli(["sync", "--dry-run"], dir);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('+  RUST_TOOLCHAIN: "1.96.0"');
    expect(fingerprint()).toBe(before);
  });

  it("leaves conflict markers, names the file and exits 3 until they are resolved", async () => {
    edit(".github/workflows/ci.yml", (t) => t.replace('RUST_TOOLCHAIN: "1.95.0"', 'RUST_TOOLCHAIN: "1.94" # pinned by us'));
    setManifest(bumpRust);
    const sync = await runCli(["sync", "--json"], dir);
    expect(sync.exitCode).toBe(3);
    const report = JSON.parse(sync.stdout);
    expect(report.files).toContainEqual({ path: ".github/workflows/ci.yml", status: "conflict" });
    const ci = read(".github/workflows/ci.yml");
    expect(ci).toContain('"1.94" # pinned by us');
    expect(ci).toContain('RUST_TOOLCHAIN: "1.96.0"');
    expect(ci).toMatch(/^<<<<<<< .*\n[\s\S]*^=======\n[\s\S]*^>>>>>>> /m);
    // A conflict is state: the next sync and the CI gate keep failing on it, and leave the file alone.
    const again = await runCli(["sync", "--json"], dir);
    expect(again.exitCode).toBe(3);
    expect(JSON.parse(again.stdout).files).toContainEqual({ path: ".github/workflows/ci.yml", status: "conflict", unresolved: true });
    expect(read(".github/workflows/ci.yml")).toBe(ci);
    const check = await runCli(["sync", "--check"], dir);
    expect(check.exitCode).toBe(3);
    expect(check.stdout).toMatch(/conflict\s+\.github\/workflows\/ci\.yml/);
    // Resolved (markers gone, the team's pin kept): clean again, and the edit stands.
    edit(".github/workflows/ci.yml", (t) => t.replace(/^<<<<<<< .*\n|^=======\n[\s\S]*?^>>>>>>> .*\n/gm, ""));
    expect((await runCli(["sync"], dir)).exitCode).toBe(0);
    expect((await runCli(["sync", "--check"], dir)).exitCode).toBe(0);
    expect(read(".github/workflows/ci.yml")).toContain('"1.94" # pinned by us');
  });

  it("keeps a deleted file deleted unless --force", async () => {
    rmSync(join(dir, ".editorconfig"));
    const sync = await runCli(["sync"], dir);
    expect(sync.stdout).toMatch(/kept-deleted\s+\.editorconfig/);
    expect(existsSync(join(dir, ".editorconfig"))).toBe(false);
    expect((await runCli(["sync", "--force"], dir)).exitCode).toBe(0);
    expect(existsSync(join(dir, ".editorconfig"))).toBe(true);
  });
});

describe("add / remove ci", () => {
  it("adds GitLab CI and removes GitHub's, keeping an edited workflow", async () => {
    const add = await runCli(["add", "ci", "gitlab"], dir);
    expect(add.exitCode, add.stderr).toBe(0);
    expect(read(".gitlab-ci.yml")).toContain("stage: check");
    expect(JSON.parse(read("hybrid-backend.json")).ci.providers).toEqual(["github", "gitlab"]);
    edit(".github/workflows/ci.yml", (t) => `${t}# ours\n`);
    const remove = await runCli(["remove", "ci", "github"], dir);
    expect(remove.exitCode).toBe(0);
    expect(remove.stdout).toMatch(/kept\s+\.github\/workflows\/ci\.yml/);
    expect(read(".github/workflows/ci.yml")).toContain("# ours");
    const removeAgain = await runCli(["remove", "ci", "gitlab"], dir);
    expect(removeAgain.exitCode).toBe(0);
    expect(existsSync(join(dir, ".gitlab-ci.yml"))).toBe(false);
  });
});

describe("bad input: exit 2, one line naming field and value, nothing written", () => {
  const cases: [string, string[], string, (d: string) => void][] = [
    ["worker name with uppercase", ["add", "worker", "Pricing"], "worker NAME", () => {}],
    ["worker that exists", ["add", "worker", "scorer"], "worker NAME", () => {}],
    ["unknown CI provider", ["add", "ci", "jenkins"], "ci PROVIDER", () => {}],
    ["CI provider already there", ["add", "ci", "github"], "ci PROVIDER", () => {}],
    ["unknown kind", ["add", "database", "pg"], "kind", () => {}],
    ["missing NAME", ["add", "worker"], "arguments", () => {}],
    ["removing the only worker", ["remove", "worker", "scorer"], "worker NAME", () => {}],
    ["manifest edited to an unknown ingress", ["sync"], "hybrid-backend.json orchestrator.ingress", (d) => edit("hybrid-backend.json", (t) => t.replace('"ingress": "http"', '"ingress": "ftp"'))],
    ["manifest that is not JSON", ["sync"], "hybrid-backend.json", () => edit("hybrid-backend.json", (t) => t.slice(0, -5))],
    ["ledger deleted", ["sync"], ".hybrid-backend/ledger.json", (d) => rmSync(join(d, ".hybrid-backend", "ledger.json"))],
    ["--check with add", ["add", "ci", "gitlab", "--check"], "option", () => {}],
  ];
  it.each(cases)("%s", async (_name, args, field, setup) => {
    setup(dir);
    const before = fingerprint();
    const result = await runCli(args, dir);
    expect(result.exitCode, result.stdout + result.stderr).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error: ${field.replace(/[.]/g, "\\.")}`));
    expect(fingerprint()).toBe(before);
  });

  it("outside a generated repo", async () => {
    const empty = tempDir("chb-not-a-repo-");
    const result = await runCli(["sync"], empty);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: directory: .* has no hybrid-backend\.json/);
    expect(readdirSync(empty)).toEqual([]);
  });
});
