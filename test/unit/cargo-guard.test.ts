import { execFileSync } from "node:child_process";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { E2E_ENV } from "../helpers/toolchain-env.js";
import { tempDir } from "../helpers/temp-dirs.js";

/** A workspace with one binary crate, `member`, that prints WORDS; its files dated AGE seconds back. */
function workspace(dir: string, words: string, age: number): void {
  mkdirSync(join(dir, "member", "src"), { recursive: true });
  const files: [string, string][] = [
    ["Cargo.toml", '[workspace]\nmembers = ["member"]\nresolver = "2"\n'],
    ["member/Cargo.toml", '[package]\nname = "member"\nversion = "0.1.0"\nedition = "2021"\n'],
    ["member/src/main.rs", `fn main() {\n    println!("${words}");\n}\n`],
  ];
  const then = Date.now() / 1000 - age;
  for (const [path, text] of files) {
    writeFileSync(join(dir, path), text);
    utimesSync(join(dir, path), then, then);
  }
}

/**
 * The e2e tests share one cargo target dir across generated repos; cargo
 * would hand a repo whose sources are older than another repo's build of the
 * same-named crate that build (rust-lang/cargo#12516). The guard on E2E_ENV's
 * PATH prunes the crate when the sources differ, with the real cargo.
 */
describe("the e2e cargo guard", () => {
  it("builds each workspace's own sources into the shared target, whatever their age", () => {
    const root = tempDir("chb-guard-");
    const target = join(root, "target");
    const env = { ...process.env, ...E2E_ENV, CARGO_TARGET_DIR: target };
    const run = (dir: string) => {
      execFileSync("cargo", ["build", "--quiet"], { cwd: dir, env, stdio: "pipe" });
      return execFileSync(join(target, "debug", "member"), { encoding: "utf8" }).trim();
    };
    workspace(join(root, "new"), "from new", 0);
    workspace(join(root, "old"), "from old", 3600);
    expect(run(join(root, "new"))).toBe("from new");
    expect(run(join(root, "old"))).toBe("from old");
    expect(run(join(root, "new"))).toBe("from new");
  }, 120_000);
});
