import { execa } from "execa";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { standInPath, writeExecutable } from "../helpers/run-script-repo.js";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * `make clean` removed all of bin/, the pinned buf download with it, so the
 * next `make gen` fetched and checked buf again. clean removes what `make
 * build` makes (bin/orchestrator, the workers' cargo target) and keeps the
 * pinned tool, and its help line says so.
 */
const m = parseManifest({ name: "clean-app", orchestrator: { module: "example.com/clean-app/orchestrator" } });
const tree = render(m);
const makefile = tree.get("Makefile")!.content;

function repo(): string {
  const dir = tempDir("chb-clean-");
  writeFileSync(join(dir, "Makefile"), makefile);
  for (const sub of ["fakebin", "workers", `bin/buf-${m.toolchains.buf}`]) mkdirSync(join(dir, sub), { recursive: true });
  writeExecutable(dir, `bin/buf-${m.toolchains.buf}/buf`, `echo ${m.toolchains.buf}`);
  writeExecutable(dir, "bin/orchestrator", "exit 0");
  writeExecutable(dir, "fakebin/cargo", `echo "$PWD $*" >> "$PWD/../cargo-calls"`);
  return dir;
}

const make = (dir: string, target: string) =>
  execa("make", ["--no-print-directory", target], { cwd: dir, env: { PATH: standInPath(dir) }, stdin: "ignore", reject: false, all: true, timeout: 20_000 });

describe("make clean", () => {
  it("removes the build output and keeps the pinned buf download", async () => {
    const dir = repo();
    const r = await make(dir, "clean");
    expect(r.exitCode, r.all).toBe(0);
    expect(existsSync(join(dir, "bin/orchestrator"))).toBe(false);
    expect(readFileSync(join(dir, "cargo-calls"), "utf8")).toBe(`${join(dir, "workers")} clean\n`);
    expect(existsSync(join(dir, `bin/buf-${m.toolchains.buf}/buf`)), "the pinned buf, checked by sha256 once, stays").toBe(true);
  });

  it("the README's table says the same", () => {
    expect(tree.get("README.md")!.content.toString("utf8")).toContain("| `make clean` | removes build output (`bin/orchestrator`, and `cargo clean` of `workers/`); keeps the pinned buf in `bin/`");
  });

  it("says in make help what it removes and what it keeps", async () => {
    const r = await make(repo(), "help");
    expect(r.all).toMatch(/^ {2}clean +Remove build output: bin\/orchestrator and the workers' cargo target \(the pinned buf in bin\/ stays\)$/m);
  });
});
