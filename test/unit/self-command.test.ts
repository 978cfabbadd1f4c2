import { describe, expect, it } from "vitest";
import { equivalentCommand } from "../../src/commands/equivalent.js";
import { parseManifest } from "../../src/manifest.js";
import { selfCommand } from "../../src/self-command.js";
import { GENERATOR_VERSION } from "../../src/version.js";

/** The command the CLI's next steps name for running it again must be one that runs where the user is. */
describe("selfCommand", () => {
  const npx = `npx create-hybrid-backend@${GENERATOR_VERSION}`;

  it("is hybrid-backend where that is how the tool was started (installed, on PATH)", () => {
    expect(selfCommand("/usr/local/bin/hybrid-backend")).toBe("hybrid-backend");
  });

  it("names this release through npx when started by npm create or npx", () => {
    expect(selfCommand("/home/u/.npm/_npx/1a2b/node_modules/.bin/create-hybrid-backend")).toBe(npx);
    expect(selfCommand("/home/u/.npm/_npx/1a2b/node_modules/create-hybrid-backend/dist/cli.js")).toBe(npx);
    expect(selfCommand("/usr/local/bin/create-hybrid-backend")).toBe(npx);
  });

  it("names the checkout's own script by its absolute path when run from a checkout, whose release npx may not find", () => {
    expect(selfCommand("/src/create-hybrid-backend/dist/cli.js")).toBe("node /src/create-hybrid-backend/dist/cli.js");
    expect(selfCommand("/home/u/my tools/chb/dist/cli.js")).toBe("node '/home/u/my tools/chb/dist/cli.js'");
    expect(selfCommand("dist/cli.js")).toMatch(/^node \/.*\/dist\/cli\.js$/);
  });
});

/**
 * An interactive create ends with the prompt-free command that does it again.
 * It said `npm create hybrid-backend@latest`, which fails until the package is
 * published (the tool's README says so) and later runs whatever release is
 * newest, not this one: it starts the tool as selfCommand does.
 */
describe("equivalentCommand", () => {
  const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress: "kinesis" } });

  it("reruns this very release, however it was started", () => {
    const npx = `npx create-hybrid-backend@${GENERATOR_VERSION}`;
    expect(equivalentCommand("app", m, npx)).toBe(`${npx} app --yes --ingress kinesis --sink dynamodb --ci github`);
    expect(equivalentCommand("my app", m, "node /src/chb/dist/cli.js")).toBe("node /src/chb/dist/cli.js 'my app' --yes --ingress kinesis --sink dynamodb --ci github --name app");
    expect(equivalentCommand("app", m)).not.toContain("@latest");
  });
});
