import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { DEPLOY_CHECK } from "../../src/manifest-pins.js";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * deploy/kubernetes/check.sh, which the README says to run before pushing a
 * change to deploy/, on a machine without the tools CI's deploy job
 * installs: it died on "kustomize: command not found" (exit 127). It now
 * names both releases and the command that installs each missing one, and
 * exits 2 before building anything.
 */
let app: string;
beforeAll(async () => {
  app = join(tempDir(), "app");
  const made = await runCli([app, "--yes", "--no-validate", "--no-git", "--ci", "none"], process.cwd());
  expect(made.exitCode, made.stderr).toBe(0);
}, 60_000);

/** A PATH with what the script needs besides the tools, plus stand-ins named in `tools` that record their calls. */
function pathWith(tools: string[]): { path: string; calls: string } {
  const bin = tempDir();
  const calls = join(bin, "calls");
  for (const name of ["dirname", "basename", "mktemp", "rm"]) {
    const real = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
    symlinkSync(real, join(bin, name));
  }
  for (const name of tools) {
    writeFileSync(join(bin, name), `#!/bin/sh\necho ${name} >> "${calls}"\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return { path: bin, calls };
}

describe("deploy/kubernetes/check.sh without its tools", () => {
  const { kustomize, kubeconform } = DEPLOY_CHECK;
  const install = (t: { module: string; version: string }) => `  go install ${t.module}@v${t.version}`;

  it.each([
    ["neither", [], [install(kustomize), install(kubeconform)]],
    ["no kubeconform", ["kustomize"], [install(kubeconform)]],
    ["no kustomize", ["kubeconform"], [install(kustomize)]],
  ] as const)("%s: exits 2 naming both releases and how to install what is missing, building nothing", async (_, tools, lines) => {
    const { path, calls } = pathWith([...tools]);
    const r = await execa("/bin/bash", [join(app, "deploy", "kubernetes", "check.sh")], { env: { PATH: path }, extendEnv: false, reject: false });
    expect(r.exitCode, r.stderr).toBe(2);
    const err = r.stderr.trimEnd().split("\n");
    expect(err[0]).toBe(`check.sh: needs kustomize ${kustomize.version} and kubeconform ${kubeconform.version} on PATH, as CI's deploy job installs them; missing here, install with:`);
    expect(err.slice(1)).toEqual(lines);
    expect(r.stdout).toBe("");
    expect(existsSync(calls)).toBe(false);
  });
});
