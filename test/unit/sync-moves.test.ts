import { describe, expect, it } from "vitest";
import { blobId } from "../../src/sync/ledger.js";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { movedTo } from "../../src/sync/moves.js";
import { planSync } from "../../src/sync/plan.js";
import { lines, syncInput } from "../helpers/sync-scenario.js";

/** base: the old layout's render; disk: the team's files; next: the new render. */
function plan(base: Record<string, string>, disk: Record<string, string>, next: Record<string, string>) {
  return planSync(syncInput(base, disk, next));
}

const KIT = "workers/worker-kit/src/shed/limit.rs";
const OLD_A = "workers/scorer/src/shed/limit.rs";
const OLD_B = "workers/pricing/src/shed/limit.rs";
const old = lines("one", "two", "three", "four", "five", "six", "seven");
const now = lines("ONE (new)", "two", "three", "four", "five", "six", "seven");

describe("sync of files a release moved", () => {
  it("maps each worker crate's copy of the shared code to the shared crates, and nothing else", () => {
    expect(movedTo("workers/scorer/src/server.rs")).toBe("workers/worker-kit/src/server.rs");
    expect(movedTo("workers/pricing/src/model/mod.rs")).toBe("workers/worker-model/src/lib.rs");
    expect(movedTo("workers/scorer/build/limits.rs")).toBe("workers/worker-kit/build/limits.rs");
    expect(movedTo("workers/scorer/src/main.rs")).toBeUndefined();
    expect(movedTo("workers/worker-kit/src/server.rs")).toBeUndefined();
    expect(movedTo("orchestrator/src/server.rs")).toBeUndefined();
  });

  it("moves each old file to a path the generator renders now, so a later split of a shared file keeps the map current", () => {
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator" }, workers: [{ name: "scorer" }] }));
    const old = ["src/server.rs", "src/uds.rs", "src/validate.rs", "src/shed/limit.rs", "src/model/mod.rs", "build/limits.rs"];
    for (const rel of old) expect(tree.has(movedTo(`workers/scorer/${rel}`)!), rel).toBe(true);
  });

  it("carries an edit of a shared file a release split into modules to the new module, so no old file is left beside it", async () => {
    const OLD = "workers/worker-kit/src/validate.rs";
    const NEW = "workers/worker-kit/src/validate/mod.rs";
    const mine = lines("one", "two", "three", "four (mine)", "five", "six", "seven");
    const by = Object.fromEntries((await plan({ [OLD]: old }, { [OLD]: mine }, { [NEW]: now })).map((x) => [x.path, x]));
    expect(by[NEW]).toMatchObject({ status: "merged", movedFrom: [OLD] });
    expect(by[NEW]!.write!.content.toString()).toBe(lines("ONE (new)", "two", "three", "four (mine)", "five", "six", "seven"));
    expect(by[OLD]).toMatchObject({ status: "removed", remove: true, movedTo: NEW });
    expect(movedTo("workers/worker-kit/src/uds.rs")).toBe("workers/worker-kit/src/uds/socket_file.rs");
  });

  it("merges every worker's edit of one shared file into it, removing the old copies", async () => {
    const a = lines("one", "two", "three", "four (scorer)", "five", "six", "seven");
    const b = lines("one", "two", "three", "four", "five", "six", "seven (pricing)");
    const actions = await plan({ [OLD_A]: old, [OLD_B]: old }, { [OLD_A]: a, [OLD_B]: b }, { [KIT]: now });
    const by = Object.fromEntries(actions.map((x) => [x.path, x]));
    expect(by[KIT]).toMatchObject({ status: "merged", movedFrom: [OLD_B, OLD_A] });
    expect(by[KIT]!.write!.content.toString()).toBe(lines("ONE (new)", "two", "three", "four (scorer)", "five", "six", "seven (pricing)"));
    expect(by[KIT]!.record!.blob).toBe(blobId(Buffer.from(now)));
    expect(by[OLD_A]).toMatchObject({ status: "removed", remove: true, movedTo: KIT });
    expect(by[OLD_B]).toMatchObject({ status: "removed", remove: true, movedTo: KIT });
  });

  it("removes an old copy nobody edited and adds the new file as rendered", async () => {
    const actions = await plan({ [OLD_A]: old }, { [OLD_A]: old }, { [KIT]: now });
    expect(actions.map((x) => [x.path, x.status])).toEqual([[OLD_A, "removed"], [KIT, "added"]]);
  });

  it("never deletes an edit it could not carry: a conflict at the new path, the old file kept", async () => {
    const mine = lines("ONE (mine)", "two", "three", "four", "five", "six", "seven");
    const actions = await plan({ [OLD_A]: old }, { [OLD_A]: mine }, { [KIT]: now });
    const by = Object.fromEntries(actions.map((x) => [x.path, x]));
    expect(by[KIT]).toMatchObject({ status: "conflict", movedFrom: [OLD_A], record: { conflict: "markers" } });
    expect(by[KIT]!.write!.content.toString()).toContain("ONE (mine)");
    expect(by[OLD_A]).toMatchObject({ status: "kept", movedTo: KIT });
    expect(by[OLD_A]!.remove).toBeUndefined();
  });

  it("leaves the new path to the usual rules once it exists, and keeps an edited file no release moved", async () => {
    const mine = lines("one", "two (mine)", "three", "four", "five", "six", "seven");
    const actions = await plan({ [OLD_A]: old, "workers/scorer/src/gone.rs": old }, { [OLD_A]: mine, [KIT]: now, "workers/scorer/src/gone.rs": mine }, { [KIT]: now });
    expect(actions.map((x) => [x.path, x.status])).toEqual([["workers/scorer/src/gone.rs", "kept"], [OLD_A, "kept"], [KIT, "unchanged"]]);
  });
});
