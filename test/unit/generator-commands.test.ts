import { execa } from "execa";
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest, type Manifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { ROOT } from "../helpers/cli.js";
import { standInPath, writeExecutable } from "../helpers/run-script-repo.js";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * Every generated file's header said "`npx create-hybrid-backend sync` merges
 * template updates into your edits". Unpinned, npx runs whatever release is
 * newest that day, so a team re-syncing a year later upgraded their repo on
 * the side, with templates other than the ones generator.version records.
 * Every command the repo tells its user to run for the generator names the
 * recorded release, from that one field: the README and CI render it, and
 * `make sync`, which the headers name, reads it when it runs, so no header
 * changes with a release. Checked over every preset's whole rendered tree
 * (and the raw templates, whose conditional text a preset may not render),
 * so a future template cannot bring the bare command back.
 */
const RECORDED = "0.0.7"; // older than this release: the text must follow the manifest, not the running tool

const MANIFESTS: [string, Record<string, unknown>][] = [
  ["http-stdlib, both CI providers, a uds worker", { orchestrator: { ingress: "http", router: "stdlib" }, ci: { providers: ["github", "gitlab"] }, workers: [{ name: "scorer" }, { name: "pricing", transport: "uds" }] }],
  ["http-chi, GitLab, no docker or deploy", { orchestrator: { ingress: "http", router: "chi" }, ci: { providers: ["gitlab"] }, docker: false, deploy: [] }],
  ["sqs-dynamodb", { orchestrator: { ingress: "sqs", sink: "dynamodb" } }],
  ["kinesis-dynamodb, both CI providers", { orchestrator: { ingress: "kinesis", sink: "dynamodb" }, ci: { providers: ["github", "gitlab"] } }],
  ["sqs, no CI", { orchestrator: { ingress: "sqs" }, ci: { providers: [] } }],
];

function manifest(fields: Record<string, unknown>, version = RECORDED): Manifest {
  const orchestrator = { module: "example.com/risk-api/orchestrator", ...(fields.orchestrator as object) };
  return parseManifest({ ...fields, name: "risk-api", orchestrator, generator: { name: "create-hybrid-backend", version } });
}

const SUBCOMMAND = "(?:sync|validate|doctor|add|remove|cache)\\b";
/** `create-hybrid-backend@SPEC`: a release named, its spec up to a space, quote or backtick. */
const VERSIONED = /create-hybrid-backend@([^\s"'`]*)/g;
/** The generator's command without a release: `create-hybrid-backend sync`, `hybrid-backend validate`. */
const BARE = new RegExp(`(?<![\\w@./-])((?:create-)?hybrid-backend)(?=\\s+${SUBCOMMAND})`, "g");
/** A runner fetching the package by name without a release: `npx create-hybrid-backend`, `npm exec -- hybrid-backend`. */
const RUNNER = /\b(?:npx|npm exec|npm create|npm init|pnpm dlx|yarn dlx|bunx)(?:\s+-\S+)*\s+((?:create-)?hybrid-backend)(?![@\w-])/g;

/**
 * Where text names the generator's commands without the release `version`
 * ("{{generator.version}}" in a raw template) or a reference to it: CI's
 * GENERATOR_VERSION, set to it in the same file, and the Makefile's
 * `generator` function, whose callers the Makefile tests below run.
 */
function unpinned(path: string, text: string, version: string): string[] {
  const faults: string[] = [];
  const line = (index: number) => text.slice(text.lastIndexOf("\n", index) + 1).split("\n")[0]!.trim();
  for (const m of text.matchAll(VERSIONED)) {
    const spec = m[1]!.replace(/[.,;:)\]]+$/, "");
    const ciVar = spec === "${GENERATOR_VERSION}" && text.includes(`GENERATOR_VERSION: "${version}"`);
    const makeFn = /(^|\/)Makefile(\.hbs)?$/.test(path) && m[1] === "$(1)" && /^(?:override )?generator = npx --yes create-hybrid-backend@\$\(1\)$/m.test(text);
    if (spec !== version && !ciVar && !makeFn) faults.push(`${path}: ${line(m.index)}`);
  }
  for (const m of text.matchAll(BARE)) {
    // The bare bin of a tarball named by its release (npx -p .../create-hybrid-backend-VERSION.tgz hybrid-backend).
    const tarball = m[1] === "hybrid-backend" && text.slice(0, m.index).endsWith(`create-hybrid-backend-${version}.tgz `);
    if (!tarball) faults.push(`${path}: ${line(m.index)}`);
  }
  for (const m of text.matchAll(RUNNER)) faults.push(`${path}: ${line(m.index)}`);
  return [...new Set(faults)];
}

describe("the generator's commands in a generated repo name the recorded release", () => {
  it.each(MANIFESTS)("in every rendered file (%s)", (_, fields) => {
    const m = manifest(fields);
    const tree = render(m);
    const faults = [...tree].flatMap(([path, e]) => unpinned(path, e.content.toString("utf8"), m.generator.version));
    expect(faults).toEqual([]);
    // The check sees them: the README's pinned commands and the headers' stable target.
    const readme = tree.get("README.md")!.content.toString("utf8");
    expect(readme).toContain(`npx create-hybrid-backend@${RECORDED} validate`);
    expect(tree.get("Makefile")!.content.toString("utf8")).toMatch(/^# Generated from hybrid-backend\.json by create-hybrid-backend\. Edit freely: `make sync` merges/m);
  });

  it("in every template, conditional text too", () => {
    const dir = join(ROOT, "templates");
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.parentPath.split("/").includes("target"));
    expect(files.length).toBeGreaterThan(100);
    const faults = files.flatMap((e) => {
      const path = relative(dir, join(e.parentPath, e.name));
      return unpinned(path, readFileSync(join(e.parentPath, e.name), "utf8"), "{{generator.version}}");
    });
    expect(faults).toEqual([]);
  });

  it("finds the unpinned forms (the old header among them)", () => {
    const old = "# Generated from hybrid-backend.json by create-hybrid-backend. Edit freely: `npx create-hybrid-backend sync` merges template updates into your edits.";
    for (const text of [old, "run `hybrid-backend validate` again", "npx --yes create-hybrid-backend", "npx create-hybrid-backend@latest sync", "npx create-hybrid-backend@0.1.0 sync", "npm exec create-hybrid-backend -- sync"]) {
      expect(unpinned("README.md", text, RECORDED), text).toHaveLength(1);
    }
    expect(unpinned("README.md", `npx -p /path/to/create-hybrid-backend-${RECORDED}.tgz hybrid-backend sync`, RECORDED)).toEqual([]);
  });

  it("headers name no release: rendered for two releases, only the files that name one on purpose differ", () => {
    const fields = MANIFESTS[0]![1];
    const [a, b] = [render(manifest(fields, "0.0.7")), render(manifest(fields, "0.0.8"))];
    const differ = [...a.keys()].filter((path) => !a.get(path)!.content.equals(b.get(path)!.content));
    expect(differ.sort()).toEqual([".github/workflows/ci.yml", ".gitlab-ci.yml", "README.md", "hybrid-backend.json"]);
  });
});

/**
 * `make sync` and `make upgrade`, run against the rendered Makefile and a
 * manifest, with a stand-in npx that writes down how it was called.
 */
describe("make sync and make upgrade", () => {
  const makefile = render(manifest(MANIFESTS[0]![1])).get("Makefile")!.content;

  /** A folder with the Makefile, a manifest recording `version`, and fakebin/npx, which appends its arguments to npx-calls. */
  function repo(version: unknown): string {
    const dir = tempDir("chb-gen-cmd-");
    writeFileSync(join(dir, "Makefile"), makefile);
    writeFileSync(join(dir, "hybrid-backend.json"), JSON.stringify({ generator: { name: "create-hybrid-backend", version } }));
    mkdirSync(join(dir, "fakebin"));
    writeExecutable(dir, "fakebin/npx", `echo "$*" >> "$PWD/npx-calls"`);
    return dir;
  }

  async function make(dir: string, args: string[], path = standInPath(dir)) {
    const r = await execa("make", ["--no-print-directory", ...args], { cwd: dir, env: { PATH: path }, extendEnv: false, stdin: "ignore", reject: false, all: true, timeout: 20_000 });
    const calls = existsSync(join(dir, "npx-calls")) ? readFileSync(join(dir, "npx-calls"), "utf8") : "";
    return { ...r, calls };
  }

  it("sync runs the release hybrid-backend.json records, passing SYNC_FLAGS", async () => {
    const dir = repo(RECORDED);
    expect((await make(dir, ["sync"])).calls).toBe(`--yes create-hybrid-backend@${RECORDED} sync\n`);
    const check = await make(dir, ["sync", "SYNC_FLAGS=--check"]);
    expect(check.exitCode, check.all).toBe(0);
    expect(check.calls).toBe(`--yes create-hybrid-backend@${RECORDED} sync\n--yes create-hybrid-backend@${RECORDED} sync --check\n`);
    // A prerelease is a release.
    expect((await make(repo("0.2.0-rc.1"), ["sync"])).calls).toBe("--yes create-hybrid-backend@0.2.0-rc.1 sync\n");
  });

  it("sync follows the manifest: after an upgrade recorded another release, it runs that one", async () => {
    const dir = repo(RECORDED);
    writeFileSync(join(dir, "hybrid-backend.json"), JSON.stringify({ generator: { name: "create-hybrid-backend", version: "0.3.1" } }));
    expect((await make(dir, ["sync"])).calls).toBe("--yes create-hybrid-backend@0.3.1 sync\n");
  });

  it.each([["latest"], ["^0.1.0"], ["0.1"], [7]])("sync refuses a generator.version npx would resolve to another release: %s", async (version) => {
    const r = await make(repo(version), ["sync"]);
    expect(r.exitCode).toBe(2);
    expect(r.calls).toBe("");
    expect(r.all).toContain(`hybrid-backend.json generator.version: ${JSON.stringify(version)} is no release; use the MAJOR.MINOR.PATCH of the create-hybrid-backend release that made this repo`);
    expect(r.all).toContain("make sync stopped: it runs the generator release that hybrid-backend.json records");
  });

  it("sync without node stops, running no npx", async () => {
    const dir = repo(RECORDED);
    for (const tool of ["make", "bash", "grep"]) symlinkSync(`/usr/bin/${tool}`, join(dir, "fakebin", tool));
    const r = await make(dir, ["sync"], join(dir, "fakebin"));
    expect(r.exitCode).toBe(2);
    expect(r.calls).toBe("");
    expect(r.all).toContain("make sync stopped");
  });

  it("HYBRID_BACKEND names a copy npx cannot fetch, as the README says, and then nothing reads the version", async () => {
    const dir = repo("not read");
    const r = await make(dir, ["-n", "sync", "SYNC_FLAGS=--dry-run", "HYBRID_BACKEND=node /src/create-hybrid-backend/dist/cli.js"]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all.trim()).toBe("node /src/create-hybrid-backend/dist/cli.js sync --dry-run");
    const readme = render(manifest(MANIFESTS[0]![1])).get("README.md")!.content.toString("utf8");
    expect(readme).toContain("`make sync HYBRID_BACKEND='node CHECKOUT/dist/cli.js'`");
    expect(readme).toContain(`\`make sync HYBRID_BACKEND='npx --yes -p /path/to/create-hybrid-backend-${RECORDED}.tgz hybrid-backend'\``);
    const tarball = await make(dir, ["sync", `HYBRID_BACKEND=npx --yes -p /path/to/create-hybrid-backend-${RECORDED}.tgz hybrid-backend`]);
    expect(tarball.calls).toBe(`--yes -p /path/to/create-hybrid-backend-${RECORDED}.tgz hybrid-backend sync\n`);
  });

  it.each([["sync", "HYBRID_BACKEND"], ["gen", "BUF"], ["upgrade", "TO"]])("make %s with %s set empty stops naming it, and runs no stand-in command", async (target, variable) => {
    // Empty, HYBRID_BACKEND left `sync` to run alone: coreutils' sync, exit 0, nothing synced; TO upgraded to the newest release.
    const dir = repo(RECORDED);
    writeExecutable(dir, "fakebin/sync", `echo "$0 $*" >> "$PWD/npx-calls"`);
    writeExecutable(dir, "fakebin/generate", `echo "$0 $*" >> "$PWD/npx-calls"`);
    for (const args of [[target, `${variable}=`], [target, `${variable}= `]]) {
      const r = await make(dir, args);
      expect(r.exitCode, r.all).toBe(2);
      expect(r.calls).toBe("");
      expect(r.all.trim().split("\n"), r.all).toHaveLength(1);
      expect(r.all).toContain(`make ${target}: ${variable} is empty; unset it for the default, or set it, e.g. ${variable}=`);
    }
  });

  it.each(["abc", "1.2", "^1.0.0", "latest", "1.2.3;touch pwned", "1.2.3' x"])("make upgrade TO=%s stops in one line naming TO, and runs nothing", async (to) => {
    // Unchecked, TO went into the recipe's shell line as it was: npm's 404 for a
    // typo, a range resolved to another release, and `;CMD` ran CMD.
    const dir = repo(RECORDED);
    const r = await make(dir, ["upgrade", `TO=${to}`]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.calls).toBe("");
    expect(existsSync(join(dir, "pwned"))).toBe(false);
    expect(r.all.trim().split("\n"), r.all).toHaveLength(1);
    expect(r.all).toContain(`make upgrade: TO=${to} is no release; give the MAJOR.MINOR.PATCH of a create-hybrid-backend release, e.g. TO=1.2.3, or leave TO unset for the newest`);
  });

  /**
   * For a release the npm registry lacks (a checkout's or a tarball's, such as
   * the prerelease a new user generates from a checkout), npx ended make sync on
   * npm's page of E404 lines, naming neither the release nor HYBRID_BACKEND.
   */
  it.each([
    ["sync", [], `make sync: create-hybrid-backend@${RECORDED} is not on the npm registry (npm's E404 above); name your copy of it instead, e.g. make sync HYBRID_BACKEND='node CHECKOUT/dist/cli.js' (README, The manifest)`],
    ["upgrade", ["TO=9.9.9"], "make upgrade: create-hybrid-backend@9.9.9 is not on the npm registry (npm's E404 above); give TO a release it has (npm view create-hybrid-backend versions)"],
  ])("make %s of a release npm answers E404 for ends on one line naming it and the way out", async (target, args, hint) => {
    const dir = repo(RECORDED);
    writeExecutable(dir, "fakebin/npx", `echo "$*" >> "$PWD/npx-calls"; echo "npm error code E404" >&2; echo "npm error 404 Not Found - GET https://registry.npmjs.org/create-hybrid-backend" >&2; exit 1`);
    const r = await make(dir, [target, ...args]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.calls).not.toBe("");
    const lines = r.all.trim().split("\n");
    expect(lines.at(-2), r.all).toBe(hint);
    expect(r.all).toContain("npm error code E404");
  });

  it("make sync keeps any other npx failure and the tool's own exit and output as they were, with no E404 line", async () => {
    const dir = repo(RECORDED);
    writeExecutable(dir, "fakebin/npx", `echo "npm error code ETIMEDOUT" >&2; exit 1`);
    const outage = await make(dir, ["sync"]);
    expect(outage.exitCode, outage.all).toBe(2);
    expect(outage.all).toContain("npm error code ETIMEDOUT");
    expect(outage.all).not.toContain("not on the npm registry");
    // sync --check's exit 3 (stale files) and its report pass through.
    writeExecutable(dir, "fakebin/npx", `echo "sync --check .: 1 stale"; echo "a warning" >&2; exit 3`);
    const stale = await make(dir, ["sync", "SYNC_FLAGS=--check"]);
    expect(stale.exitCode, stale.all).toBe(2);
    expect(stale.all).toContain("sync --check .: 1 stale");
    expect(stale.all).toContain("a warning");
    expect(stale.all).toContain("Error 3");
    expect(stale.all).not.toContain("not on the npm registry");
  });

  it("upgrade runs the newest release, or TO=VERSION, whatever the manifest records", async () => {
    const dir = repo(RECORDED);
    await make(dir, ["upgrade"]);
    await make(dir, ["upgrade", "TO=0.4.0", "SYNC_FLAGS=--dry-run"]);
    await make(dir, ["upgrade", "TO=0.5.0-rc.1+build.7"]);
    expect(readFileSync(join(dir, "npx-calls"), "utf8")).toBe("--yes create-hybrid-backend@latest sync\n--yes create-hybrid-backend@0.4.0 sync --dry-run\n--yes create-hybrid-backend@0.5.0-rc.1+build.7 sync\n");
  });

  it("no other target reads the manifest (node is not needed to build)", async () => {
    const dir = repo("latest");
    const r = await make(dir, ["-n", "help", "build", "test", "clean"]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).not.toContain("generator.version");
  });

  it("make help lists both", async () => {
    const r = await make(repo(RECORDED), ["help"]);
    expect(r.all).toMatch(/^ {2}sync +Merge template updates into the generated files, keeping your edits, with the generator release hybrid-backend\.json records \(SYNC_FLAGS=--dry-run or --check\)$/m);
    expect(r.all).toMatch(/^ {2}upgrade +Sync with a newer generator release \(the newest, or TO=VERSION\), which hybrid-backend\.json then records; commit it on its own$/m);
  });
});
