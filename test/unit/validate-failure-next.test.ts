import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";
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
    expect(lines.at(-1)).toBe(`next: once it is fixed, \`hybrid-backend validate '${app}'\` checks again (a check that passed is not rerun while its inputs are unchanged)`);
  });
});
