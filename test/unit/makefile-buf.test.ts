import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { bufLinuxX64 } from "../../src/manifest-pins.js";
import { render } from "../../src/render/index.js";
import { tempDir } from "../helpers/cli.js";

/**
 * The generated Makefile runs the buf version pinned in the manifest, the
 * fastest way it can without trusting an unchecked download: an installed buf
 * of exactly that version, else on Linux x86_64 the release's npm package
 * checked against the sha256 in the manifest's images (the file CI's proto
 * job checks), else the build from the Go module proxy (minutes). `make -n
 * gen` shows which, with a PATH made for each case.
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

const linux = "echo Linux x86_64";

describe("make gen / make lint's buf", () => {
  it("is the installed buf when its version is the pinned one", () => {
    expect(bufCommand({ buf: `echo ${version}`, uname: linux })).toBe("buf generate");
  });

  it("is the pinned release, checked against its recorded sha256, on Linux x86_64 when the installed buf is another version, or none is", () => {
    const sha256 = m.images[bufLinuxX64(version)]!.slice("sha256:".length);
    const cases: Record<string, string>[] = [{ buf: "echo 1.0.0", uname: linux }, { uname: linux }];
    for (const tools of cases) {
      const lines = bufCommand(tools).split("\n");
      const exe = `bin/buf-${version}/buf`;
      expect(lines).toContain(`curl --proto '=https' --tlsv1.2 -sSf -o ${exe}.tgz "https://${bufLinuxX64(version)}"`);
      // The check comes before the archive is unpacked, and the unpacked binary is what runs.
      const check = lines.indexOf(`echo "${sha256} *${exe}.tgz" | sha256sum -c -`);
      expect(check).toBeGreaterThan(0);
      expect(lines.findIndex((l) => l.startsWith("tar "))).toBeGreaterThan(check);
      expect(lines.at(-1)).toBe(`${exe} generate`);
      expect(lines.join("\n")).not.toMatch(/npx|@bufbuild\/buf@/);
    }
  });

  it("is built from the Go module proxy, which the checksum database checks, elsewhere", () => {
    expect(bufCommand({ uname: "echo Darwin arm64" })).toBe(`go run github.com/bufbuild/buf/cmd/buf@v${version} generate`);
    expect(bufCommand({ npx: "exit 0", uname: "echo Linux aarch64" })).toBe(`go run github.com/bufbuild/buf/cmd/buf@v${version} generate`);
  });
});
