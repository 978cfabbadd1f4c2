import { execa } from "execa";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTIONS } from "../../src/manifest-pins.js";
import { ROOT, tempDir } from "../helpers/cli.js";

/**
 * scripts/release.mjs on a throwaway git repo holding only what it edits.
 * RELEASE_REGENERATE stands in for `npm run examples` and the golden update
 * (minutes of real generation): the stub writes the version package.json has
 * when it runs into examples/, as the real examples record it.
 */
const SCRIPT = join(ROOT, "scripts", "release.mjs");
const STUB = `node -e "require('fs').mkdirSync('examples',{recursive:true});require('fs').writeFileSync('examples/version',require('./package.json').version)"`;
const CHANGELOG = "# Changelog\n\nIntro.\n\n## Unreleased\n\n### Added\n- a thing\n\n## 0.0.1 - 2026-01-01\n\n- first\n";

async function repo(version = "0.2.0-dev", changelog = CHANGELOG): Promise<string> {
  const dir = tempDir("chb-release-");
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "x", version }, null, 2)}\n`);
  const lock = { name: "x", version, lockfileVersion: 3, packages: { "": { name: "x", version } } };
  writeFileSync(join(dir, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
  writeFileSync(join(dir, "CHANGELOG.md"), changelog);
  const git = (...args: string[]) => execa("git", args, { cwd: dir });
  await git("init", "--quiet", "-b", "main");
  await git("add", "package.json", "package-lock.json", "CHANGELOG.md");
  await git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "init");
  return dir;
}

function release(dir: string, ...args: string[]) {
  return execa("node", [SCRIPT, ...args], {
    cwd: dir,
    reject: false,
    stdin: "ignore",
    env: { RELEASE_REGENERATE: STUB, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
  });
}

const head = async (dir: string) => (await execa("git", ["rev-parse", "HEAD"], { cwd: dir })).stdout;

describe("npm run release", () => {
  it.each([
    [[], /version "" is not allowed; give one MAJOR.MINOR.PATCH/],
    [["v0.2.0"], /version "v0.2.0" is not allowed/],
    [["0.2.0-rc.1"], /version "0.2.0-rc.1" is not allowed/],
    [["0.2.0", "extra"], /is not allowed/],
    [["0.1.9"], /version 0.1.9 is not greater than package.json's 0.2.0-dev; give a later one/],
    [["0.2.0-dev"], /version 0.2.0-dev is not greater than package.json's 0.2.0-dev/],
  ])("refuses %j with exit 2 and one line, changing nothing", async (args, message) => {
    const dir = await repo();
    const before = await head(dir);
    const r = await release(dir, ...args);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(await head(dir)).toBe(before);
    expect((await execa("git", ["status", "--porcelain"], { cwd: dir })).stdout).toBe("");
  });

  it("refuses a dirty tree", async () => {
    const dir = await repo();
    writeFileSync(join(dir, "stray.txt"), "x");
    const r = await release(dir, "0.2.0");
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe("release: the work tree is not clean (1 changed paths); commit or remove them first");
  });

  it("refuses an empty Unreleased section (a comment is not a change)", async () => {
    const dir = await repo("0.2.0-dev", "# Changelog\n\n## Unreleased\n\n<!-- add changes here -->\n\n## 0.1.0 - 2026-01-01\n- x\n");
    const r = await release(dir, "0.2.0");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Unreleased section is empty/);
  });

  it("cuts a release: version, lock, changelog, regenerated examples in one commit, tag, push command printed", async () => {
    const dir = await repo();
    const r = await release(dir, "0.2.0");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("git push --atomic origin HEAD v0.2.0");
    const date = new Date().toISOString().slice(0, 10);
    expect(readFileSync(join(dir, "CHANGELOG.md"), "utf8")).toBe(
      `# Changelog\n\nIntro.\n\n## Unreleased\n\n## 0.2.0 - ${date}\n\n### Added\n- a thing\n\n## 0.0.1 - 2026-01-01\n\n- first\n`,
    );
    const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
    expect([lock.version, lock.packages[""].version]).toEqual(["0.2.0", "0.2.0"]);
    // The tag is on the commit holding everything, the examples made with the new version.
    const show = (path: string) => execa("git", ["show", `v0.2.0:${path}`], { cwd: dir }).then((x) => x.stdout);
    expect(JSON.parse(await show("package.json")).version).toBe("0.2.0");
    expect(await show("examples/version")).toBe("0.2.0");
    expect((await execa("git", ["status", "--porcelain"], { cwd: dir })).stdout).toBe("");
    // The same version again is refused, as npm would.
    expect((await release(dir, "0.2.0")).exitCode).toBe(2);
  });

  it("opens the next cycle with X.Y.Z-dev: version and examples, no tag, Unreleased untouched", async () => {
    const dir = await repo("0.2.0");
    const r = await release(dir, "0.3.0-dev");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version).toBe("0.3.0-dev");
    expect(readFileSync(join(dir, "examples", "version"), "utf8")).toBe("0.3.0-dev");
    expect(readFileSync(join(dir, "CHANGELOG.md"), "utf8")).toBe(CHANGELOG);
    expect((await execa("git", ["tag"], { cwd: dir })).stdout).toBe("");
  });

  it("commits nothing when the regeneration touches other files", async () => {
    const dir = await repo();
    const before = await head(dir);
    const r = await execa("node", [SCRIPT, "0.2.0"], {
      cwd: dir,
      reject: false,
      env: { RELEASE_REGENERATE: "echo x > stray.txt", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t" },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/stray\.txt/);
    expect(await head(dir)).toBe(before);
  });
});

it("the README names package.json's version nowhere (a bump would leave it stale): the tarball as X.Y.Z", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  expect(readme.match(/create-hybrid-backend-\d+\.\d+\.\d+[\w.-]*\.tgz/g)).toBeNull();
});

describe("release workflow", () => {
  const file = join(ROOT, ".github", "workflows", "release.yml");
  const workflow = parse(readFileSync(file, "utf8"));
  const steps = workflow.jobs.publish.steps as { name?: string; run?: string; uses?: string }[];
  const check = steps.find((s) => s.name === "Tag matches package.json")!.run!;

  it("its tag check passes v<package.json version> and fails any other tag or a prerelease, before npm ci", async () => {
    const run = (tag: string, cwd: string) => execa("bash", ["-eo", "pipefail", "-c", check], { cwd, reject: false, env: { GITHUB_REF_NAME: tag } });
    // A released version's tree: main itself carries a prerelease, which the check refuses below.
    const released = await repo("0.2.0");
    expect((await run("v0.2.0", released)).exitCode).toBe(0);
    const wrong = await run("v999.0.0", released);
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stdout).toContain("tag v999.0.0 is not v0.2.0");
    // Main's X.Y.Z-dev is never published, even when a tag names it.
    const dev = await repo("0.3.0-dev");
    const pre = await run("v0.3.0-dev", dev);
    expect(pre.exitCode).toBe(1);
    expect(pre.stdout).toContain("version 0.3.0-dev is a prerelease");
    expect(steps.findIndex((s) => s.run === check)).toBeLessThan(steps.findIndex((s) => s.run === "npm ci"));
  });

  it("publishes with provenance from a tag push, with only the permissions that needs", () => {
    expect(workflow.on).toEqual({ push: { tags: ["v*"] } });
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(workflow.jobs.publish.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(steps.at(-1)!.run).toBe("npm publish");
    expect(steps.at(-1)!).not.toHaveProperty("env");
  });

  // npm trusted publishing (https://docs.npmjs.com/trusted-publishers): OIDC
  // instead of a long-lived token, which needs npm 11.5.1 or later.
  it("publishes by trusted publishing: no npm token, and a pinned npm new enough for it installed before npm ci", () => {
    expect(readFileSync(file, "utf8")).not.toMatch(/NPM_TOKEN|NODE_AUTH_TOKEN|secrets\./);
    const installs = steps.filter((s) => /\bnpm (install|i) (--global|-g) npm@/.test(s.run ?? ""));
    expect(installs).toHaveLength(1);
    const version = /npm@(\d+)\.(\d+)\.(\d+)$/.exec(installs[0]!.run!.trim());
    expect(version, `${installs[0]!.run}: an exact version`).not.toBeNull();
    const [major, minor, patch] = version!.slice(1).map(Number) as [number, number, number];
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(11_005_001);
    expect(steps.indexOf(installs[0]!)).toBeLessThan(steps.findIndex((s) => s.run === "npm ci"));
    for (const s of steps.filter((x) => x.uses)) expect(s.uses).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
    // The same checkout the generated CI pins, bumped in one place.
    expect(steps[0]!.uses).toBe(`actions/checkout@${ACTIONS.parse({})["actions/checkout"].sha}`);
  });
});
