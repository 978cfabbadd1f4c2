import { execa } from "execa";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { ensureBuf } from "../../src/validate/toolchains.js";
import { ROOT, tempDir } from "../helpers/cli.js";

/**
 * The contract only ever grows compatibly: the one the templates render now
 * passes `buf format`, `buf lint` and `buf breaking` (the generated buf.yaml's
 * FILE rules, what the generated CI runs on every pull request) against the
 * contract generated repos were given before per-item batch results
 * (test/fixtures/contract-baseline, kept as it was released). A renumbered
 * field must fail the same check, so the check is known to bite.
 */
const BASELINE = join(ROOT, "test", "fixtures", "contract-baseline", "scoring", "v1", "scoring.proto");
const PROTO = "proto/scoring/v1/scoring.proto";

/** A buf workspace holding the rendered buf.yaml and contract, with scoring.proto replaced by `scoring` when given. */
function workspace(scoring?: string): string {
  const dir = tempDir("chb-contract-");
  const tree = render(parseManifest({ name: "contract-check", orchestrator: { module: "example.com/contract-check/orchestrator" } }));
  for (const [path, file] of tree) {
    if (path !== "buf.yaml" && !path.startsWith("proto/")) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), path === PROTO && scoring !== undefined ? scoring : file.content);
  }
  return dir;
}

describe("the contract", () => {
  let buf = "";
  beforeAll(async () => {
    buf = await ensureBuf(() => {});
  });

  it("is formatted, lint-clean, and wire compatible with the released contract", async () => {
    const current = workspace();
    const baseline = workspace(readFileSync(BASELINE, "utf8"));
    await execa(buf, ["format", "--diff", "--exit-code"], { cwd: current });
    await execa(buf, ["lint"], { cwd: current });
    const breaking = await execa(buf, ["breaking", current, "--against", baseline], { reject: false });
    expect(breaking.exitCode, breaking.stdout + breaking.stderr).toBe(0);
  });

  it("fails buf breaking when a released field is renumbered", async () => {
    const released = readFileSync(BASELINE, "utf8");
    const renumbered = released.replace("repeated ScoreResponse responses = 1", "repeated ScoreResponse responses = 7");
    expect(renumbered).not.toBe(released);
    const breaking = await execa(buf, ["breaking", workspace(renumbered), "--against", workspace(released)], { reject: false });
    expect(breaking.exitCode).not.toBe(0);
    expect(breaking.stdout + breaking.stderr).toMatch(/responses/);
  });
});
