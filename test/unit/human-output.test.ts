import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { human, humanLines, shellQuote } from "../../src/human.js";
import { RAW_INVISIBLE, runCli, tempDir } from "../helpers/cli.js";

/**
 * What a person reads spells a user's control and invisible characters the
 * way errors do (\u0007 for a bell), whichever command prints them: a folder named with
 * an ESC must not recolour the terminal on success either.
 */
const FOLDER = "esc\u001b[31mdir\u202e";
const SHOWN = "esc\\u001b[31mdir\\u202e";

/** Every line of out, none carrying a raw control or invisible character. */
function expectEscaped(out: string) {
  for (const line of out.split("\n")) expect(line, JSON.stringify(line)).not.toMatch(RAW_INVISIBLE);
}

describe("human output escapes user values", () => {
  it("human`` escapes each value, not the template's own text", () => {
    expect(human`\u001b[1mCreated ${FOLDER} (${3} files)`).toBe(`\u001b[1mCreated ${SHOWN} (3 files)`);
    expect(humanLines(`a\u0007\nb`)).toBe("a\\u0007\nb");
  });

  it("shellQuote shows such a folder as ANSI-C quoting a shell reads back as the same bytes", () => {
    expect(shellQuote(FOLDER)).toBe(`$'${SHOWN}'`);
    expect(shellQuote("it's\u0001")).toBe("$'it\\'s\\u0001'");
    expect(shellQuote("my app")).toBe("'my app'");
    expect(shellQuote("apps/my-app")).toBe("apps/my-app");
  });

  it("create, its dry run, sync and sync --check", async () => {
    const cwd = tempDir();
    const dry = await runCli([FOLDER, "--name", "esc", "--yes", "--dry-run"], cwd);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expectEscaped(dry.stdout);
    expect(dry.stdout).toContain(SHOWN);

    const created = await runCli([FOLDER, "--name", "esc", "--yes", "--no-validate"], cwd);
    expect(created.exitCode, created.stderr).toBe(0);
    expectEscaped(created.stdout);
    expect(created.stdout).toContain(`Created ${SHOWN} (`);
    expect(created.stdout).toContain(`cd $'${SHOWN}'`);

    for (const args of [["sync", FOLDER], ["sync", "--check", FOLDER], ["sync", "--dry-run", FOLDER]]) {
      const result = await runCli(args, cwd);
      expect(result.exitCode, `${args.join(" ")}: ${result.stderr}`).toBe(0);
      expectEscaped(result.stdout + result.stderr);
      expect(result.stdout).toContain(SHOWN);
    }
  });

  it("cache info and clean, with the cache under such a folder", async () => {
    const cwd = tempDir();
    const env = { XDG_CACHE_HOME: join(cwd, FOLDER) };
    for (const action of ["info", "clean"]) {
      const result = await runCli(["cache", action], cwd, env);
      expect(result.exitCode, result.stderr).toBe(0);
      expectEscaped(result.stdout);
      expect(result.stdout).toContain(SHOWN);
    }
  });
});
