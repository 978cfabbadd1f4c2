import { execa } from "execa";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { standInPath, writeExecutable } from "../helpers/run-script-repo.js";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * `make clean` removed all of bin/, the pinned buf download with it, so the
 * next `make gen` fetched and checked buf again. clean removes every build
 * output (whatever `make build` and bench put in bin/, an older buf, the
 * workers' cargo target) and keeps the pinned tool, and its help line says so.
 */
const m = parseManifest({ name: "clean-app", orchestrator: { module: "example.com/clean-app/orchestrator" } });
const tree = render(m);
const makefile = tree.get("Makefile")!.content;

function repo(): string {
  const dir = tempDir("chb-clean-");
  writeFileSync(join(dir, "Makefile"), makefile);
  for (const sub of ["fakebin", "workers", `bin/buf-${m.toolchains.buf}`, "bin/buf-0.1.0"]) mkdirSync(join(dir, sub), { recursive: true });
  writeExecutable(dir, `bin/buf-${m.toolchains.buf}/buf`, `echo ${m.toolchains.buf}`);
  for (const built of ["bin/orchestrator", "bin/loadgen", "bin/gateway", "bin/buf-0.1.0/buf"]) writeExecutable(dir, built, "exit 0");
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
    expect(readdirSync(join(dir, "bin")), "every build output goes, an older buf too").toEqual([`buf-${m.toolchains.buf}`]);
    expect(readFileSync(join(dir, "cargo-calls"), "utf8")).toBe(`${join(dir, "workers")} clean\n`);
    expect(existsSync(join(dir, `bin/buf-${m.toolchains.buf}/buf`)), "the pinned buf, checked by sha256 once, stays").toBe(true);
  });

  it("the README's table says the same", () => {
    expect(tree.get("README.md")!.content.toString("utf8")).toContain("| `make clean` | removes build output: everything in `bin/` but the pinned buf (so `make gen` need not fetch it again), and `cargo clean` of `workers/` |");
  });

  it("says in make help what it removes and what it keeps", async () => {
    const r = await make(repo(), "help");
    expect(r.all).toMatch(/^ {2}clean +Remove build output: bin\/ \(the orchestrator, bench's tools\) but the pinned buf, and the workers' cargo target$/m);
  });
});
