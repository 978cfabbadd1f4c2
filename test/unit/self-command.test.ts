import { describe, expect, it } from "vitest";
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
