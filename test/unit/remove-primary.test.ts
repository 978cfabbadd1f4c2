import { describe, expect, it } from "vitest";
import { changeSteps } from "../../src/commands/next-steps.js";
import { INGRESS, parseManifest } from "../../src/manifest.js";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * Removing the primary worker promotes the first worker left: from then on it
 * answers what the primary did (every message of a queue, or POST /v1/score),
 * with its own model. The change's next steps say so, naming the new
 * primary, rather than leave the user to find out from the traffic.
 */
const manifest = (ingress: string, workers: string[]) =>
  parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress }, workers: workers.map((name) => ({ name })) });

describe.each(INGRESS)("remove worker, %s", (ingress) => {
  it("names the new primary when the primary is removed", () => {
    const before = manifest(ingress, ["scorer", "pricing", "fraud"]);
    const after = manifest(ingress, ["pricing", "fraud"]);
    const text = changeSteps("remove", "worker", "scorer", after, ".", [], [], before).join("\n");
    expect(text).toContain("scorer was the primary: pricing, the first worker left, is the primary now");
    expect(text).toContain(ingress === "http" ? "POST /v1/score" : `every message from the ${ingress === "sqs" ? "queue" : "stream"}`);
    expect(text).toContain("workers/pricing/model/");
  });

  it("says nothing of a primary when another worker is removed", () => {
    const before = manifest(ingress, ["scorer", "pricing"]);
    const after = manifest(ingress, ["scorer"]);
    expect(changeSteps("remove", "worker", "pricing", after, ".", [], [], before).join("\n")).not.toContain("primary");
  });
});

describe("remove worker on the command line", { timeout: 60_000 }, () => {
  it("prints the new primary", async () => {
    const dir = tempDir("chb-remove-primary-");
    const created = await runCli([".", "--name", "app", "--ingress", "sqs", "--workers", "scorer,pricing", "--yes", "--no-validate", "--no-git"], dir);
    expect(created.exitCode, created.stderr).toBe(0);
    const removed = await runCli(["remove", "worker", "scorer"], dir);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toContain("scorer was the primary: pricing, the first worker left, is the primary now");
  });
});
