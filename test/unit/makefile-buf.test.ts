import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { tempDir } from "../helpers/cli.js";

/**
 * The generated Makefile runs the buf version pinned in the manifest, the
 * fastest way it can: an installed buf of exactly that version, else the
 * released binary through npx, and only without Node the build from source
 * (minutes). `make -n gen` shows which, with a PATH made for each case.
 */
const m = parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" } });
const version = m.toolchains.buf;

function bufCommand(tools: Record<string, string>): string {
  const dir = tempDir("chb-buf-");
  writeFileSync(join(dir, "Makefile"), render(m).get("Makefile")!.content);
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const t of ["make", "bash"]) symlinkSync(`/usr/bin/${t}`, join(bin, t));
  for (const [name, script] of Object.entries(tools)) {
    writeFileSync(join(bin, name), `#!/usr/bin/bash\n${script}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return execFileSync("/usr/bin/make", ["-n", "gen"], { cwd: dir, env: { PATH: bin }, encoding: "utf8" }).trim();
}

describe("make gen / make lint's buf", () => {
  it("is the installed buf when its version is the pinned one", () => {
    expect(bufCommand({ buf: `echo ${version}`, npx: "exit 0" })).toBe("buf generate");
  });

  it("is the pinned release through npx when the installed buf is another version, or none is", () => {
    expect(bufCommand({ buf: "echo 1.0.0", npx: "exit 0" })).toBe(`npx --yes @bufbuild/buf@${version} generate`);
    expect(bufCommand({ npx: "exit 0" })).toBe(`npx --yes @bufbuild/buf@${version} generate`);
  });

  it("is built from the Go module proxy only without Node", () => {
    expect(bufCommand({})).toBe(`go run github.com/bufbuild/buf/cmd/buf@v${version} generate`);
  });
});
