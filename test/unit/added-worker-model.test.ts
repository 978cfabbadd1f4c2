import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { MODEL_FILE } from "../../src/render/components.js";
import { render } from "../../src/render/index.js";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * `add worker NAME` gave the new worker the model create ships, and nothing
 * said so: its README and the next steps read as if it had a model of its own,
 * and after the team changed the primary's model it silently scored with
 * another one. The README and the next steps now say which model it has, where
 * its own goes and what checks it; this holds them to what was rendered.
 */
vi.setConfig({ testTimeout: 120_000 });

const shipped = readFileSync(new URL(`../../templates/rust-worker/${MODEL_FILE}`, import.meta.url));
const MODEL_SENTENCE = "Every worker scores with the same model";

describe("a worker added later, and its model", () => {
  it("gets the model create ships, not the primary's as changed, and the next steps and READMEs say so", async () => {
    const dir = join(tempDir("chb-added-model-"), "app");
    const created = await runCli([dir, "--yes", "--no-validate", "--no-git"], ".");
    expect(created.exitCode, created.stderr).toBe(0);
    // One worker: nothing to compare with, so the README says nothing of other workers' models.
    expect(readFileSync(join(dir, "README.md"), "utf8")).not.toContain(MODEL_SENTENCE);

    // The team retrains the primary's model.
    const primaryModel = join(dir, "workers/scorer", MODEL_FILE);
    const retrained = readFileSync(primaryModel, "utf8").replace(/\n$/, "\n\n");
    writeFileSync(primaryModel, retrained);

    const added = await runCli(["add", "worker", "pricing"], dir);
    expect(added.exitCode, added.stderr).toBe(0);
    const file = `workers/pricing/${MODEL_FILE}`;
    expect(readFileSync(join(dir, file))).toEqual(shipped);
    expect(readFileSync(primaryModel, "utf8")).toBe(retrained);
    expect(added.stdout).toContain(
      `pricing scores with the model create ships (${file}), not scorer's if you changed that: put pricing's own model in ${file} (how: workers/pricing/README.md under Changing the model); make test checks every worker against testdata/vectors.json, one model's answers (README.md, Workers)`,
    );

    const readme = readFileSync(join(dir, "README.md"), "utf8").replace(/\s+/g, " ");
    expect(readme).toContain(`${MODEL_SENTENCE}: \`workers/NAME/model/model.json\` is, in each folder, the one create ships, a worker added later included`);
    expect(readme).toContain("`make test` checks every worker against `testdata/vectors.json`");
    expect(readFileSync(join(dir, "workers/pricing/README.md"), "utf8")).toContain("## Changing the model");
    expect(readFileSync(join(dir, "workers/pricing/README.md"), "utf8").replace(/\s+/g, " ")).toContain(
      "every worker of this repo too, each starting with the same model (`model/model.json`, the one create ships, in a worker added later as well)",
    );
    // What the note tells the team to run, and the test it names, exist.
    expect(readFileSync(join(dir, "Makefile"), "utf8")).toMatch(/^test: .*\n(?:\t.*\n)*\tcd workers && cargo test/m);
    expect(readFileSync(join(dir, "workers/pricing/tests/vectors.rs"), "utf8")).toContain("testdata/vectors.json");
  });

  it("every worker a manifest lists is rendered with the model create ships, byte for byte (as the README says)", () => {
    const tree = render(parseManifest({ name: "crew", orchestrator: { module: "example.com/crew/orchestrator" }, workers: [{ name: "scorer" }, { name: "pricing" }, { name: "fraud" }] }));
    for (const name of ["scorer", "pricing", "fraud"]) expect(tree.get(`workers/${name}/${MODEL_FILE}`)!.content).toEqual(shipped);
    expect(tree.get("README.md")!.content.toString("utf8")).toContain(MODEL_SENTENCE);
  });
});
