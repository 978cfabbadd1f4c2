import { execa } from "execa";
import { copyFileSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, tempDir } from "../helpers/cli.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * The package as npm publishes it: `npm pack`, then the tarball run through
 * npx in an empty folder, which is what `npm create hybrid-backend` does.
 * This is the default preset's full proof (generate + validate), and then
 * the generated repo's own README commands, run as written.
 */
describe("packed package", () => {
  const work = tempDir("chb-pack-");
  let tarball = "";

  it("packs only what a user needs", async () => {
    const packed = await execa("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT, stdin: "ignore" });
    const [info] = JSON.parse(packed.stdout) as { filename: string; size: number; files: { path: string }[] }[];
    tarball = join(work, info!.filename);
    const paths = info!.files.map((f) => f.path);
    expect(paths).toContain("dist/cli.js");
    expect(paths).toContain("templates/root/dot-gitignore");
    const unexpected = paths.filter(
      (p) => !/^(dist|templates)\//.test(p) && !["package.json", "README.md", "LICENSE"].includes(p),
    );
    expect(unexpected).toEqual([]);
    expect(paths.filter((p) => /(^|\/)(target|node_modules)\//.test(p))).toEqual([]);
    expect(statSync(tarball).size).toBeLessThan(3 * 1024 * 1024);
  });

  it("creates and validates my-app via npx, as npm create does", async () => {
    // The exact form: the tarball beside an otherwise empty folder's
    // contents, run as `npx ./create-hybrid-backend-<version>.tgz my-app --yes`
    // (npx's own --yes answers its install question; there is no TTY here).
    const cwd = join(work, "empty");
    mkdirSync(cwd);
    copyFileSync(tarball, join(cwd, basename(tarball)));
    const run = await execa("npx", ["--yes", `./${basename(tarball)}`, "my-app", "--yes"], {
      cwd,
      env: { ...E2E_ENV, npm_config_loglevel: "error", CI: "1" },
      reject: false,
      stdin: "ignore",
      all: true,
    });
    expect(run.exitCode, run.all).toBe(0);
    expect(run.stdout).toContain("All checks passed");
    expect(readdirSync(cwd).sort()).toEqual([basename(tarball), "my-app"].sort());
    const log = await execa("git", ["log", "--oneline"], { cwd: join(cwd, "my-app") });
    expect(log.stdout).toMatch(/Initial commit from create-hybrid-backend/);
  });

  it("runs the generated README's commands as written: make lint build test smoke", async () => {
    const repo = join(work, "empty", "my-app");
    const make = await execa("make", ["lint", "build", "test", "smoke"], {
      cwd: repo,
      env: E2E_ENV,
      reject: false,
      stdin: "ignore",
      all: true,
    });
    expect(make.exitCode, make.all?.slice(-4000)).toBe(0);
    expect(make.stdout).toContain("smoke passed");
  });
});
