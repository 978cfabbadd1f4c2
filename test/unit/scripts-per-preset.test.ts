import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/** smoke.sh and run.sh hold only what their preset uses: a socket dir for uds workers, an emulator for a queue. */
describe.each([
  ["http", "tcp"],
  ["http", "uds"],
  ["sqs", "tcp"],
  ["kinesis", "uds"],
])("scripts, %s with a %s worker", (ingress, transport) => {
  const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress }, workers: [{ name: "scorer", transport }] }));
  it.each(["scripts/smoke.sh", "scripts/run.sh"])("%s", (path) => {
    const text = tree.get(path)!.content.toString("utf8");
    expect(/\bsockets\b/.test(text), "a socket dir").toBe(transport === "uds");
    if (path === "scripts/smoke.sh") expect(/emulator_pid/.test(text), "an emulator").toBe(ingress !== "http");
  });
});
