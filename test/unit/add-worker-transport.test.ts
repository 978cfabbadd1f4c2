import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { runCli, snapshot, tempDir } from "../helpers/cli.js";

/**
 * `add worker` copied the primary's transport into the new worker, with no
 * way to choose: beside a uds primary, a tcp worker (its own Deployment, scaled
 * on its own) needed a hand edit of hybrid-backend.json. `--transport` now
 * chooses, judged as create judges it; without it the primary's still applies.
 */
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let dir: string;
beforeAll(async () => {
  dir = join(tempDir("chb-add-transport-"), "app");
  const created = await runCli([dir, "--yes", "--no-validate", "--no-git", "--transport", "uds", "--ci", "gitlab"], ".");
  expect(created.exitCode, created.stderr).toBe(0);
});

const workers = () => JSON.parse(readFileSync(join(dir, "hybrid-backend.json"), "utf8")).workers;

describe("add worker --transport", () => {
  it.each([
    [["--transport", "udp"], 'workers.transport (--transport): "udp" is not valid; allowed: tcp, uds'],
    [["--transport", "TCP"], 'workers.transport (--transport): "TCP" is not valid; allowed: tcp, uds'],
    [["--transport="], 'workers.transport (--transport): "" is not valid; it needs a value; allowed: tcp, uds'],
  ])("%j: exit 2, one line naming it, nothing written", async (flags, line) => {
    const before = snapshot(dir);
    const manifest = readFileSync(join(dir, "hybrid-backend.json"), "utf8");
    const r = await runCli(["add", "worker", "pricing", ...flags], dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(`error: ${line}`);
    expect(snapshot(dir)).toEqual(before);
    expect(readFileSync(join(dir, "hybrid-backend.json"), "utf8")).toBe(manifest);
  });

  it("is refused on add ci, which has no worker to place", async () => {
    const r = await runCli(["add", "ci", "github", "--transport", "tcp"], dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('error: workers.transport (--transport): "tcp" is not valid; only add worker takes it (the new worker\'s transport)');
  });

  it("places a tcp worker beside a uds primary; without it the new worker takes the primary's", async () => {
    const tcp = await runCli(["add", "worker", "pricing", "--transport", "tcp"], dir);
    expect(tcp.exitCode, tcp.stderr).toBe(0);
    expect(tcp.stdout).toContain("WORKER_PRICING_ADDR (127.0.0.1:50052)");
    const inherited = await runCli(["add", "worker", "rates"], dir);
    expect(inherited.exitCode, inherited.stderr).toBe(0);
    expect(workers()).toEqual([
      { name: "scorer", transport: "uds" },
      { name: "pricing", transport: "tcp" },
      { name: "rates", transport: "uds" },
    ]);
    // The tcp worker has its own Deployment; the uds ones stay sidecars.
    const deploy = readFileSync(join(dir, "deploy/kubernetes/base/kustomization.yaml"), "utf8");
    expect(deploy).toMatch(/^  - workers\/pricing$/m);
    expect(deploy).not.toContain("workers/rates");
  });
});
