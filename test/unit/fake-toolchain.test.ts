import { execa } from "execa";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CALLER_ENV_CLEARED, fakeToolchain } from "../helpers/fake-toolchain.js";

const SRC = new URL("../../src", import.meta.url).pathname;
/** Read by the tool, and left to each caller on purpose: runCli sets it to 1, the TTY tests to "". */
const CALLER_SETS = new Set(["CI"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : [],
  );
}

/**
 * The fake toolchain's runs must not depend on the shell they start from:
 * the cache cap test failed only in the e2e run that spilled to RAM, because
 * that run's CARGO_TARGET_DIR reached the validate it started.
 */
describe("the fake toolchain's environment", () => {
  const saved = process.env.CARGO_TARGET_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.CARGO_TARGET_DIR;
    else process.env.CARGO_TARGET_DIR = saved;
  });

  it("sets or clears every variable src/ reads from process.env", () => {
    const read = new Set<string>();
    for (const file of sourceFiles(SRC)) {
      for (const m of readFileSync(file, "utf8").matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(5);
    const controlled = new Set([...Object.keys(fakeToolchain().env), ...CALLER_SETS]);
    expect([...read].filter((name) => !controlled.has(name))).toEqual([]);
  });

  it("unsets the caller's values of CALLER_ENV_CLEARED in the processes it runs", async () => {
    process.env.CARGO_TARGET_DIR = "/somewhere/else";
    const fake = fakeToolchain();
    const names = JSON.stringify(CALLER_ENV_CLEARED);
    const r = await execa(process.execPath, ["-e", `console.log(${names}.filter((n) => n in process.env).join())`], { env: fake.env });
    expect(r.stdout).toBe("");
  });
});
