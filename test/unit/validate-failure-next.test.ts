import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, SELF, runCli, tempDir } from "../helpers/cli.js";
import { fakeToolchain } from "../helpers/fake-toolchain.js";

/**
 * A failed validate (after create, or on its own) left the user at a log
 * folder and nothing more, though the repo was written and is theirs: the
 * last line says how to check it again, with the command that does.
 */
let app: string;
beforeAll(async () => {
  app = join(tempDir(), "my dir", "app");
  const made = await runCli([app, "--yes", "--no-validate", "--no-git", "--ci", "none", "--deploy", "none"], process.cwd());
  expect(made.exitCode, made.stderr).toBe(0);
}, 60_000);

describe("a failed validate says what to do next", { timeout: 120_000 }, () => {
  it("ends with the command that checks the repo again, quoted for the shell", async () => {
    // The stand-in toolchain's binaries exit 3: validate fails at a step.
    const r = await runCli(["validate", app], process.cwd(), fakeToolchain().env);
    expect(r.exitCode, r.stderr).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.at(-2)).toMatch(/^logs: /);
    // Started as npm create or npx create-hybrid-backend does: no hybrid-backend on PATH.
    expect(lines.at(-1)).toBe(`next: once it is fixed, \`${SELF} validate '${app}'\` checks again (a check that passed is not rerun while its inputs are unchanged)`);
  });

  it("names the installed command when the tool was started as hybrid-backend", async () => {
    const bin = tempDir();
    symlinkSync(CLI, join(bin, "hybrid-backend"));
    const r = await execa(join(bin, "hybrid-backend"), ["validate", app], { env: { CI: "1", ...fakeToolchain().env, PATH: `${bin}:${fakeToolchain().env.PATH}:${process.env.PATH}` }, reject: false, stdin: "ignore" });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toMatch(new RegExp(`^next: once it is fixed, \`hybrid-backend validate '${app}'\` checks again`));
  });
});
