// Regenerates examples/ with the built CLI itself (never by hand): one folder
// per preset in presets.json. test/golden keeps them in step with templates.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";

const presets = JSON.parse(readFileSync(new URL("./presets.json", import.meta.url), "utf8"));
for (const [name, flags] of Object.entries(presets)) {
  const dir = `examples/${name}`;
  rmSync(dir, { recursive: true, force: true });
  execFileSync("node", ["dist/cli.js", dir, "--yes", "--no-validate", "--no-git", ...flags], { stdio: "inherit" });
}
