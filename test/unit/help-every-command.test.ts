import { describe, expect, it, vi } from "vitest";
import { COMMANDS, HELP } from "../../src/args.js";
import { GENERATOR_VERSION } from "../../src/version.js";
import { runCli, snapshot, tempDir } from "../helpers/cli.js";

/**
 * --help and --version answer on every command, whatever else the line holds
 * or lacks: `add --help` once exited 2 because add's two arguments were
 * checked first, and help is how one learns them. Run through the built CLI
 * (npm run build first), in an empty folder, to prove nothing is written.
 */
vi.setConfig({ testTimeout: 60_000 });

// create is the default command: it is reached both bare and by name.
const LINES: string[][] = [[], ...COMMANDS.map((c) => [c])];

describe("--help / -h and --version / -v on every command", () => {
  it.each(LINES.flatMap((line) => ["--help", "-h"].map((flag) => [[...line, flag].join(" "), [...line, flag]] as [string, string[]])))(
    "%s prints the help and exits 0",
    async (_shown, argv) => {
      const cwd = tempDir("chb-help-");
      const result = await runCli(argv, cwd);
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout.trim()).toBe(HELP);
      expect(snapshot(cwd)).toEqual([]);
    },
  );

  it.each(LINES.flatMap((line) => ["--version", "-v"].map((flag) => [[...line, flag].join(" "), [...line, flag]] as [string, string[]])))(
    "%s prints the version and exits 0",
    async (_shown, argv) => {
      const cwd = tempDir("chb-version-");
      const result = await runCli(argv, cwd);
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout.trim()).toBe(GENERATOR_VERSION);
      expect(snapshot(cwd)).toEqual([]);
    },
  );

  it("answers help even when the arguments given are too many", async () => {
    const cwd = tempDir("chb-help-");
    const result = await runCli(["doctor", "extra", "--help"], cwd);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Usage:");
  });
});
