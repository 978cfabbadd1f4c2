import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_JSON_DEPTH, jsonDepth } from "../../src/json-depth.js";
import { protoKeyPath } from "../../src/proto-key.js";
import { RAW_INVISIBLE, runCli, snapshot, tempDir } from "../helpers/cli.js";

/**
 * User JSON nested thousands of levels deep once overflowed the stack in a
 * recursive walk ("Maximum call stack size exceeded", exit 1, reported as a
 * bug). Such a file is refused with exit 2 naming the file and the depth,
 * before anything walks it; the walks of our own over user JSON are
 * iterative. Through the built CLI (npm run build first).
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** JSON text of `{"x": [[...]], ...rest}` with the array nested `levels` deep. */
function deep(levels: number, rest: Record<string, unknown> = {}): string {
  const tail = JSON.stringify(rest).slice(1);
  return `{"x":${"[".repeat(levels)}${"]".repeat(levels)}${tail === "}" ? "}" : `,${tail}`}`;
}

function expectRefused(result: { exitCode?: number; stderr: string; stdout: string }, file: string, depth: number) {
  expect(result.exitCode, result.stderr).toBe(2);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toBe(
    `error: ${file} nesting depth: ${depth} is not valid; objects and arrays may nest at most ${MAX_JSON_DEPTH} levels deep (the manifest itself nests 4) (the deepest part is under "x")`,
  );
  expect(result.stderr).not.toMatch(/call stack|unexpected/);
  expect(result.stderr).not.toMatch(RAW_INVISIBLE);
}

describe("jsonDepth and protoKeyPath on deep JSON", () => {
  it("measure 100,000 levels without overflowing the stack", () => {
    const value = JSON.parse(deep(100_000));
    expect(jsonDepth(value)).toEqual({ depth: 100_001, under: "x" });
    expect(protoKeyPath(value)).toBeUndefined();
  });

  it("protoKeyPath finds a __proto__ key 100,000 levels down, with its path", () => {
    const value = JSON.parse(`{"a":1,"x":${"[".repeat(100_000)}{"__proto__":{}}${"]".repeat(100_000)}}`);
    const path = protoKeyPath(value)!;
    expect(path).toHaveLength(100_001);
    expect(path[0]).toBe("x");
    expect(path.slice(1).every((k) => k === 0)).toBe(true);
  });

  it("protoKeyPath returns the first __proto__ in the file's order", () => {
    expect(protoKeyPath(JSON.parse('{"a":[{"b":1},{"__proto__":1}],"c":{"__proto__":2}}'))).toEqual(["a", 1]);
    expect(protoKeyPath(JSON.parse('{"__proto__":1}'))).toEqual([]);
  });

  it("the bound leaves room: a real manifest and ledger nest far less", async () => {
    const parent = tempDir("chb-depth-");
    expect((await runCli(["app", "--yes", "--no-validate", "--no-git"], parent)).exitCode).toBe(0);
    for (const file of ["hybrid-backend.json", ".hybrid-backend/ledger.json"]) {
      expect(jsonDepth(JSON.parse(readFileSync(join(parent, "app", file), "utf8"))).depth).toBeLessThanOrEqual(5);
    }
  });
});

describe("a file nested deeper than the bound is refused with exit 2", () => {
  let dir: string;
  let manifest: string;
  let ledger: string;
  beforeAll(async () => {
    const parent = tempDir("chb-depth-");
    dir = join(parent, "app");
    const created = await runCli(["app", "--yes", "--no-validate"], parent);
    expect(created.exitCode, created.stderr).toBe(0);
    manifest = readFileSync(join(dir, "hybrid-backend.json"), "utf8");
    ledger = readFileSync(join(dir, ".hybrid-backend/ledger.json"), "utf8");
  });

  const restore = () => {
    writeFileSync(join(dir, "hybrid-backend.json"), manifest);
    writeFileSync(join(dir, ".hybrid-backend/ledger.json"), ledger);
  };

  for (const levels of [10_000, 100_000]) {
    for (const argv of [["sync", "--check"], ["sync"], ["sync", "--dry-run"], ["add", "worker", "alpha"], ["validate"]]) {
      it(`hybrid-backend.json ${levels} levels deep: ${argv.join(" ")}`, async () => {
        restore();
        const text = deep(levels, JSON.parse(manifest));
        writeFileSync(join(dir, "hybrid-backend.json"), text);
        const before = snapshot(dir);
        expectRefused(await runCli(argv, dir), "hybrid-backend.json", levels + 1);
        expect(snapshot(dir)).toEqual(before);
        expect(readFileSync(join(dir, "hybrid-backend.json"), "utf8")).toBe(text);
      });
    }

    it(`the ledger ${levels} levels deep: sync`, async () => {
      restore();
      writeFileSync(join(dir, ".hybrid-backend/ledger.json"), deep(levels, JSON.parse(ledger)));
      const before = snapshot(dir);
      expectRefused(await runCli(["sync"], dir), ".hybrid-backend/ledger.json", levels + 1);
      expect(snapshot(dir)).toEqual(before);
    });

    it(`--config ${levels} levels deep: create`, async () => {
      const cwd = tempDir("chb-depth-config-");
      writeFileSync(join(cwd, "answers.json"), deep(levels, { name: "app" }));
      expectRefused(await runCli(["app", "--yes", "--no-validate", "--config", "answers.json"], cwd), "--config answers.json", levels + 1);
      expect(snapshot(cwd)).toEqual(["answers.json"]);
    });
  }

  it("at the bound, the file is judged by the schema as before (an unknown key)", async () => {
    restore();
    writeFileSync(join(dir, "hybrid-backend.json"), deep(MAX_JSON_DEPTH - 1, JSON.parse(manifest)));
    const result = await runCli(["sync", "--check"], dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: hybrid-backend\.json: "x" is not valid; an unknown key/);
    expect(result.stderr).not.toMatch(/nesting depth/);
  });
});
