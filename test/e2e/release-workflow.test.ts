import { execa } from "execa";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/** The tool's own release workflow passes the actionlint the generated workflows are held to (fetched by the e2e setup). */
it("the release workflow passes actionlint", async () => {
  const r = await execa("actionlint", [join(".github", "workflows", "release.yml")], { cwd: ROOT, env: E2E_ENV, reject: false, all: true });
  expect(r.exitCode, r.all).toBe(0);
});
