import { execa } from "execa";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { GENERATOR_VERSION } from "../../src/version.js";
import { tempDir } from "../helpers/cli.js";

/**
 * The generated CI's `sync --check` job, run for real: its shell script, cut
 * out of the rendered workflow and .gitlab-ci.yml, against the real npm CLI
 * talking to a local registry that has the generator's release, lacks it, or
 * is failing. npx is a stub on PATH that records how it was called.
 */
const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", router: "stdlib" }, ci: { providers: ["github", "gitlab"] } }));
const file = (path: string) => tree.get(path)!.content.toString("utf8");

/** The lines of the literal block that starts after `marker`, dedented. */
function blockAfter(text: string, marker: RegExp): string {
  const found = marker.exec(text);
  if (!found) throw new Error(`no ${marker} in the rendered CI file`);
  const lines = text.slice(found.index + found[0].length).split("\n").slice(1);
  const indent = /^ */.exec(lines[0]!)![0].length;
  const body = lines.slice(0, lines.findIndex((l) => l.trim() !== "" && /^ */.exec(l)![0].length < indent));
  return body.map((l) => l.slice(indent)).join("\n");
}

const providers = [
  {
    name: "github",
    script: () => blockAfter(file(".github/workflows/ci.yml"), /name: Generated files match hybrid-backend\.json\n\s+run: \|/),
    job: () => file(".github/workflows/ci.yml").slice(file(".github/workflows/ci.yml").indexOf("\n  sync:")),
    // How Actions runs a `run:` step.
    shell: ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"],
    notice: "::notice::",
  },
  {
    name: "gitlab",
    script: () => blockAfter(file(".gitlab-ci.yml"), /\nsync:[\s\S]*?script:\n\s+- \|/),
    job: () => file(".gitlab-ci.yml").slice(file(".gitlab-ci.yml").indexOf("\nsync:")),
    // POSIX sh: the job's image may run it with dash or bash.
    shell: ["sh", "-e", "-c"],
    notice: "NOTICE: ",
  },
];

type Registry = "published" | "absent" | "failing";

describe.each(providers)("$name sync --check job", { timeout: 60_000 }, ({ script, job, shell, notice }) => {
  let server: Server;
  let registry: Registry = "absent";
  const work = tempDir("chb-sync-job-");
  const stubs = join(work, "bin");

  beforeAll(async () => {
    mkdirSync(stubs);
    writeFileSync(join(stubs, "npx"), '#!/bin/sh\necho "npx $*"\nexit "${NPX_EXIT:-0}"\n');
    chmodSync(join(stubs, "npx"), 0o755);
    server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (registry === "failing") return void res.writeHead(500).end('{"error":"down"}');
      if (registry === "absent" || req.url !== "/create-hybrid-backend") return void res.writeHead(404).end('{"error":"Not found"}');
      const manifest = { name: "create-hybrid-backend", version: GENERATOR_VERSION, dist: { tarball: "http://127.0.0.1/none.tgz" } };
      res.end(JSON.stringify({ name: "create-hybrid-backend", "dist-tags": { latest: GENERATOR_VERSION }, versions: { [GENERATOR_VERSION]: manifest } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function runJob(state: Registry, npxExit = 0) {
    registry = state;
    const { port } = server.address() as AddressInfo;
    return execa(shell[0]!, [...shell.slice(1), script()], {
      cwd: work,
      reject: false,
      stdin: "ignore",
      env: {
        GENERATOR_VERSION,
        PATH: `${stubs}:${process.env.PATH}`,
        NPX_EXIT: String(npxExit),
        npm_config_registry: `http://127.0.0.1:${port}/`,
        npm_config_cache: join(work, `npm-cache-${state}-${npxExit}`),
        npm_config_fetch_retries: "0",
        npm_config_update_notifier: "false",
      },
    });
  }

  it("pins the generator release that wrote the repo", () => {
    expect(job()).toContain(`GENERATOR_VERSION: "${GENERATOR_VERSION}"`);
    expect(script()).toContain('npx --yes "create-hybrid-backend@${GENERATOR_VERSION}" sync --check');
  });

  it("runs sync --check with that release once it is published, and fails with it", async () => {
    const ok = await runJob("published");
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe(`npx --yes create-hybrid-backend@${GENERATOR_VERSION} sync --check`);
    const stale = await runJob("published", 3);
    expect(stale.exitCode).toBe(3);
  });

  it("passes with a notice while the release is not on the registry", async () => {
    const result = await runJob("absent");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${notice}create-hybrid-backend@${GENERATOR_VERSION} is not on the npm registry`);
    expect(result.stdout).not.toContain("npx ");
  });

  it("fails when the registry fails, rather than passing unchecked", async () => {
    const result = await runJob("failing");
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).not.toContain("npx ");
    expect(result.stdout).not.toContain(notice);
  });
});
