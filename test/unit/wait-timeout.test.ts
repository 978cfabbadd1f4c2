import { execa } from "execa";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { tempDir } from "../helpers/cli.js";

/**
 * `make wait-ready WAIT_TIMEOUT=x` failed with "scripts/lib.sh: line 140: x:
 * unbound variable", and `PROCESSED=-1` was refused only after the whole
 * readiness wait. Bad settings are refused first, exit 2, one line naming
 * the setting, the value and what is wanted, by every script that reads them.
 */
function repo(): string {
  const tree = render(parseManifest({ name: "wt-app", orchestrator: { module: "example.com/wt-app/orchestrator", ingress: "sqs" } }));
  const dir = tempDir("chb-wait-timeout-");
  mkdirSync(join(dir, "scripts"));
  for (const path of [...tree.keys()].filter((p) => p.startsWith("scripts/"))) writeFileSync(join(dir, path), tree.get(path)!.content);
  return dir;
}

const run = (dir: string, script: string, env: Record<string, string>) =>
  execa("bash", [`scripts/${script}.sh`], { cwd: dir, env: { LISTEN_ADDR: "127.0.0.1:1", ...env }, reject: false, all: true, timeout: 20_000 });

describe("scripts refuse a bad WAIT_TIMEOUT or PROCESSED before waiting", () => {
  it.each([
    ["wait-ready", "x"],
    ["wait-ready", "0"],
    ["wait-ready", "1.5"],
    ["run", "x"],
  ])("%s: WAIT_TIMEOUT=%s", async (script, value) => {
    const r = await run(repo(), script, { WAIT_TIMEOUT: value });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toBe(`${script}: WAIT_TIMEOUT=${value}: want a whole number of seconds, 1 or more`);
  });

  it("wait-ready: PROCESSED=-1, at once rather than after the readiness wait", async () => {
    const started = Date.now();
    const r = await run(repo(), "wait-ready", { PROCESSED: "-1", WAIT_TIMEOUT: "15" });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toBe("wait-ready: PROCESSED=-1: want a whole number of requests, 1 to 1000000");
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
