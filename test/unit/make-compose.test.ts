import { execa } from "execa";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * `make help` lists docker, up and down; on a machine whose docker lacks the
 * Compose plugin they failed with docker's bare "unknown command: docker
 * compose", which says neither what is missing nor where to get it. Each now
 * stops before running anything, naming the plugin and where to install it.
 * A stand-in `docker` without `compose` plays that machine.
 */
function repo(): string {
  const tree = render(parseManifest({ name: "compose-app", orchestrator: { module: "example.com/compose-app/orchestrator", ingress: "http" } }));
  const dir = tempDir("chb-compose-");
  mkdirSync(join(dir, "fakebin"));
  writeFileSync(join(dir, "Makefile"), tree.get("Makefile")!.content);
  writeFileSync(join(dir, "fakebin/docker"), `#!/usr/bin/env bash\necho "docker $*" >> "${dir}/docker-calls"\necho "docker: unknown command: docker $1" >&2\nexit 1\n`);
  chmodSync(join(dir, "fakebin/docker"), 0o755);
  return dir;
}

describe("make's compose targets without Docker Compose", () => {
  for (const target of ["docker", "up", "down"]) {
    it(`make ${target} names the missing plugin and where to get it`, async () => {
      const dir = repo();
      const r = await execa("make", [target], { cwd: dir, env: { PATH: `${join(dir, "fakebin")}:${process.env.PATH}` }, reject: false, all: true });
      expect(r.exitCode, r.all).not.toBe(0);
      expect(r.all).toContain(`make ${target} needs Docker Compose`);
      expect(r.all).toContain("https://docs.docker.com/compose/install/");
      expect(r.all).not.toContain("unknown command");
    });
  }
});
