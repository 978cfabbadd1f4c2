import { execa } from "execa";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mayConvertOnCheckout } from "../../src/write/git.js";
import { runCli, tempDir } from "../helpers/cli.js";

const IDENTITY = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
const git = (cwd: string, ...args: string[]) => execa("git", args, { cwd, env: IDENTITY });

/** A repository with one commit, like a monorepo create is run inside. */
async function monorepo(): Promise<string> {
  const mono = join(tempDir(), "mono");
  mkdirSync(mono);
  await git(mono, "init", "-q", "-b", "main");
  writeFileSync(join(mono, "README.md"), "# mono\n");
  await git(mono, "add", "-A");
  await git(mono, "commit", "-qm", "root");
  return mono;
}

const toplevel = async (dir: string) => (await git(dir, "rev-parse", "--show-toplevel")).stdout.trim();

describe("create and git", { timeout: 30_000 }, () => {
  it("inside an existing work tree: no nested repository, no commit, and says so", async () => {
    const mono = await monorepo();
    const result = await runCli(["services/alpha", "--yes", "--no-validate"], mono, IDENTITY);
    expect(result.exitCode, result.stderr).toBe(0);
    const alpha = join(mono, "services", "alpha");
    expect(existsSync(join(alpha, ".git"))).toBe(false);
    expect(await toplevel(alpha)).toBe(await toplevel(mono));
    expect(result.stdout).toContain("Inside the git repository at .: not initialising a new one; commit when ready");
    expect(result.stdout).not.toContain("initial commit");
    // The monorepo sees plain files to add, not an embedded repository.
    const status = (await git(mono, "status", "--porcelain", "--untracked-files=all")).stdout;
    expect(status).toContain("services/alpha/hybrid-backend.json");
    expect((await git(mono, "log", "--oneline")).stdout.trim().split("\n")).toHaveLength(1);
    // Uncommitted, the generated files are still kept in git for sync's merge
    // bases: on the project's own snapshot ref, at their repository paths.
    const snapshot = (await git(mono, "ls-tree", "-r", "--name-only", "refs/hybrid-backend/projects/services%2Falpha")).stdout;
    expect(snapshot).toContain("services/alpha/Makefile");
  });

  it("--json names the enclosing repository", async () => {
    const mono = await monorepo();
    const result = await runCli(["services/alpha", "--yes", "--no-validate", "--json"], mono, IDENTITY);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ committed: false, enclosingRepo: await toplevel(mono), validated: false });
  });

  it("inside a linked worktree, the same", async () => {
    const mono = await monorepo();
    const linked = join(tempDir(), "linked");
    await git(mono, "worktree", "add", "-q", "-b", "feature", linked);
    const result = await runCli(["svc", "--yes", "--no-validate"], linked, IDENTITY);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(join(linked, "svc", ".git"))).toBe(false);
    expect(result.stdout).toContain("Inside the git repository at .:");
  });

  it("create . in a folder of a work tree prints no `cd .`", async () => {
    const mono = await monorepo();
    const here = join(mono, "svc");
    mkdirSync(here);
    const result = await runCli([".", "--yes", "--no-validate"], here, IDENTITY);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("Inside the git repository at ..:");
    expect(result.stdout).not.toMatch(/cd \./);
  });

  it("--git-init makes a separate repository with its initial commit anyway", async () => {
    const mono = await monorepo();
    const result = await runCli(["services/beta", "--yes", "--no-validate", "--git-init"], mono, IDENTITY);
    expect(result.exitCode, result.stderr).toBe(0);
    const beta = join(mono, "services", "beta");
    expect(await toplevel(beta)).toBe(beta);
    expect(result.stdout).toContain("initial commit");
    expect((await git(beta, "status", "--porcelain")).stdout).toBe("");
  });

  it("outside any work tree: git init and an initial commit, as before", async () => {
    const cwd = tempDir();
    const result = await runCli(["solo", "--yes", "--no-validate"], cwd, IDENTITY);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(join(cwd, "solo", ".git"))).toBe(true);
    expect(result.stdout).toContain("initial commit");
  });

  it("the initial commit is the user's: their identity, every file, a clean status, nothing but the project", async () => {
    const cwd = tempDir();
    const result = await runCli(["solo", "--yes", "--no-validate", "--json"], cwd, IDENTITY);
    expect(result.exitCode, result.stderr).toBe(0);
    const solo = join(cwd, "solo");
    expect((await git(solo, "log", "--format=%an <%ae> / %cn <%ce>|%s")).stdout).toMatch(/^t <t@t> \/ t <t@t>\|Initial commit from create-hybrid-backend \S+$/);
    expect((await git(solo, "ls-files")).stdout.split("\n")).toHaveLength(JSON.parse(result.stdout).files);
    expect((await git(solo, "status", "--porcelain", "--untracked-files=all")).stdout).toBe("");
    expect((await git(solo, "fsck", "--strict")).exitCode).toBe(0);
    expect(readdirSync(solo).filter((n) => n.startsWith(".hybrid-backend-staging"))).toEqual([]);
  });

  it("without a configured identity the commit is made under the neutral one, not a guessed one", async () => {
    const cwd = tempDir();
    const bare = { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", EMAIL: "guess@example.com" };
    const result = await runCli(["solo", "--yes", "--no-validate"], cwd, bare);
    expect(result.exitCode, result.stderr).toBe(0);
    const log = await execa("git", ["log", "--format=%an <%ae> / %cn <%ce>"], { cwd: join(cwd, "solo"), env: bare });
    expect(log.stdout).toBe("create-hybrid-backend <create-hybrid-backend@localhost> / create-hybrid-backend <create-hybrid-backend@localhost>");
  });

  it("without git on PATH the project is written all the same, uncommitted", async () => {
    const cwd = tempDir();
    const bin = join(tempDir(), "bin");
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, "node"));
    const result = await runCli(["solo", "--yes", "--no-validate", "--json"], cwd, { PATH: bin });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ committed: false });
    expect(existsSync(join(cwd, "solo", "hybrid-backend.json"))).toBe(true);
    expect(readdirSync(join(cwd, "solo")).filter((n) => n === ".git" || n.startsWith(".hybrid-backend-staging"))).toEqual([]);
  });

  it("--no-git still writes no .git and says nothing about git", async () => {
    const mono = await monorepo();
    const result = await runCli(["services/gamma", "--yes", "--no-validate", "--no-git"], mono, IDENTITY);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(join(mono, "services", "gamma", ".git"))).toBe(false);
    expect(result.stdout).not.toContain("git repository");
  });
});

describe("a byte order mark in user JSON", { timeout: 30_000 }, () => {
  const BOM = "\ufeff";

  it("is accepted in a --config file (flag-named keys too)", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "answers.json"), `${BOM}{"router": "chi", "ci": "gitlab"}\n`);
    const result = await runCli(["fromcfg", "--config", "answers.json", "--yes", "--no-validate", "--no-git"], cwd);
    expect(result.exitCode, result.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(cwd, "fromcfg", "hybrid-backend.json"), "utf8"));
    expect(m.orchestrator.router).toBe("chi");
    expect(m.ci.providers).toEqual(["gitlab"]);
  });

  it("is accepted in hybrid-backend.json by sync --check, sync and add; sync leaves the file alone", async () => {
    const cwd = tempDir();
    expect((await runCli(["app", "--yes", "--no-validate", "--no-git"], cwd)).exitCode).toBe(0);
    const dir = join(cwd, "app");
    const manifest = join(dir, "hybrid-backend.json");
    const withBom = BOM + readFileSync(manifest, "utf8");
    writeFileSync(manifest, withBom);
    const check = await runCli(["sync", "--check"], dir);
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
    const sync = await runCli(["sync"], dir);
    expect(sync.exitCode, sync.stderr).toBe(0);
    expect(readFileSync(manifest, "utf8")).toBe(withBom);
    const add = await runCli(["add", "worker", "pricing"], dir);
    expect(add.exitCode, add.stderr).toBe(0);
    expect(JSON.parse(readFileSync(manifest, "utf8")).workers.map((w: { name: string }) => w.name)).toContain("pricing");
  });
});

/** Whether every line break in a file is CRLF. */
const allCRLF = (file: string) => !/(^|[^\r])\n/.test(readFileSync(file, "latin1"));

describe("create writes each file as git checks it out there, as sync does", { timeout: 60_000 }, () => {
  it("inside a repository whose attributes convert (eol=crlf, a UTF-16 README): git add stores exactly what was generated", async () => {
    const mono = await monorepo();
    writeFileSync(join(mono, ".gitattributes"), "* text=auto eol=crlf\n/services/alpha/README.md working-tree-encoding=UTF-16LE-BOM\n");
    await git(mono, "add", ".gitattributes");
    await git(mono, "commit", "-qm", "team: CRLF, UTF-16 README");
    const result = await runCli(["services/alpha", "--yes", "--no-validate"], mono, IDENTITY);
    expect(result.exitCode, result.stderr).toBe(0);
    const alpha = join(mono, "services", "alpha");
    expect(readFileSync(join(alpha, "README.md")).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
    for (const file of ["Makefile", "hybrid-backend.json", ".hybrid-backend/ledger.json", "orchestrator/go.mod"]) expect(allCRLF(join(alpha, file)), file).toBe(true);
    // A UTF-8 README under that rule made git add fail; now git stores the generated bytes, and sees nothing to change.
    const added = await execa("git", ["add", "-A"], { cwd: mono, reject: false });
    expect(added.exitCode, added.stderr).toBe(0);
    const snapshot = "refs/hybrid-backend/projects/services%2Falpha";
    expect((await git(mono, "diff", "--cached", "--name-only", snapshot, "--", "services/alpha")).stdout.split("\n").sort()).toEqual([
      "services/alpha/.hybrid-backend/ledger.json",
      "services/alpha/hybrid-backend.json",
    ]);
    expect((await git(mono, "status", "--porcelain")).stdout.split("\n").every((line) => line.startsWith("A "))).toBe(true);
    expect((await runCli(["sync", "--check"], alpha, IDENTITY)).exitCode).toBe(0);
    const sync = await runCli(["sync", "--json"], alpha, IDENTITY);
    expect(sync.exitCode, sync.stderr).toBe(0);
    expect((await git(mono, "diff", "--name-only")).stdout).toBe("");
  });

  it("in its new repository, under the user's core.autocrlf=true: CRLF files, a clean status, the generated bytes committed", async () => {
    const cwd = tempDir();
    const config = join(cwd, "gitconfig");
    writeFileSync(config, "[core]\n\tautocrlf = true\n");
    const env = { ...IDENTITY, GIT_CONFIG_GLOBAL: config };
    const result = await runCli(["solo", "--yes", "--no-validate"], cwd, env);
    expect(result.exitCode, result.stderr).toBe(0);
    const solo = join(cwd, "solo");
    for (const file of ["Makefile", "hybrid-backend.json", ".hybrid-backend/ledger.json"]) expect(allCRLF(join(solo, file)), file).toBe(true);
    const gitEnv = (...args: string[]) => execa("git", args, { cwd: solo, env });
    expect((await gitEnv("status", "--porcelain", "--untracked-files=all")).stdout).toBe("");
    expect((await gitEnv("show", "HEAD:Makefile")).stdout).not.toContain("\r");
    expect((await runCli(["sync", "--check"], solo, env)).exitCode).toBe(0);
  });
});

describe("create takes the repository's lock, as sync, add and remove do", { timeout: 60_000 }, () => {
  it("inside a repository another run is changing: exit 2 naming the lock, nothing written", async () => {
    const mono = await monorepo();
    const lock = join(mono, ".git", "hybrid-backend.lock");
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
    try {
      writeFileSync(lock, `${JSON.stringify({ pid: holder.pid, started: "2026-01-01T00:00:00.000Z", host: hostname() })}\n`);
      const result = await runCli(["services/alpha", "--yes", "--no-validate"], mono, IDENTITY);
      expect(result.exitCode, result.stdout).toBe(2);
      expect(result.stderr).toBe(`error: ${lock}: another hybrid-backend run (pid ${holder.pid}, started 2026-01-01T00:00:00.000Z) is changing this repository; wait for it, or remove ${lock} if no such run is alive`);
      expect(existsSync(join(mono, "services"))).toBe(false);
      expect((await git(mono, "for-each-ref", "refs/hybrid-backend")).stdout).toBe("");
    } finally {
      holder.kill();
    }
    rmSync(lock);
    expect((await runCli(["services/alpha", "--yes", "--no-validate"], mono, IDENTITY)).exitCode).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });
});

describe("a file git cannot check out, in create's new repository", { timeout: 60_000 }, () => {
  // The user's global attributes give README.md a required smudge filter that fails: git stores the file (its clean
  // filter works) but cannot give its checkout form, so create writes it as generated and says so, as sync does.
  it("is named in the report (human and --json), with git's words; the rest is created and committed", async () => {
    const cwd = tempDir();
    const attributes = join(cwd, "attributes");
    writeFileSync(attributes, "/README.md filter=broken\n");
    const config = join(cwd, "gitconfig");
    writeFileSync(config, `[core]\n\tattributesFile = ${attributes}\n[filter "broken"]\n\tsmudge = false\n\tclean = cat\n\trequired = true\n`);
    const env = { ...IDENTITY, GIT_CONFIG_GLOBAL: config };

    const human = await runCli(["solo", "--yes", "--no-validate"], cwd, env);
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toContain("git could not convert these to the form it checks out, so create wrote them as generated");
    expect(human.stdout).toMatch(/^ {2}unconverted {2}README\.md {2}\(git: README\.md: smudge filter broken failed\)$/m);
    const solo = join(cwd, "solo");
    expect(readFileSync(join(solo, "README.md"), "utf8")).toMatch(/^# solo/);
    expect((await execa("git", ["log", "--oneline"], { cwd: solo, env })).stdout).toMatch(/Initial commit/);

    const json = await runCli(["other", "--yes", "--no-validate", "--json"], cwd, env);
    expect(json.exitCode, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { notCheckedOut?: { path: string; unconverted: string }[] };
    expect(report.notCheckedOut).toEqual([{ path: "README.md", unconverted: expect.stringMatching(/README\.md/) }]);

    // Without the filter, nothing is reported.
    const plain = await runCli(["plain", "--yes", "--no-validate", "--json"], cwd, IDENTITY);
    expect(JSON.parse(plain.stdout)).not.toHaveProperty("notCheckedOut");
  });
});

describe("which files git may convert on checkout (create converts only those)", { timeout: 30_000 }, () => {
  const ask = async (attributes: string, config: string[] = []) => {
    const repo = join(tempDir(), "attrs");
    mkdirSync(repo);
    await git(repo, "init", "-q");
    for (const setting of config) await git(repo, "config", ...setting.split("="));
    writeFileSync(join(repo, ".gitattributes"), attributes);
    return mayConvertOnCheckout({ top: repo, prefix: "sub/" }, ["a.txt", "b.md", "c.sh"]);
  };

  it("none under plain text=auto or -text; each file its rules name; all under core.autocrlf", async () => {
    expect(await ask("* text=auto\n*.sh -text\n")).toEqual([]);
    expect(await ask("* text=auto\n*.md eol=crlf\n")).toEqual(["b.md"]);
    expect(await ask("*.md working-tree-encoding=UTF-16LE\n/sub/c.sh filter=x\n")).toEqual(["b.md", "c.sh"]);
    expect(await ask("* text=auto\n*.sh -text\n", ["core.eol=crlf"])).toEqual(["a.txt", "b.md"]);
    expect(await ask("", ["core.autocrlf=true"])).toEqual(["a.txt", "b.md", "c.sh"]);
  });
});
