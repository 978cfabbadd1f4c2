// Regenerates the committed Go stubs in templates/go-orchestrator/gen after a
// change to templates/proto: renders a default project with the built CLI,
// runs buf generate in it (the same command its `make gen` runs), and copies
// the output back. The stubs hold no module path (buf passes an M option), so
// one copy serves every project.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const work = mkdtempSync(join(tmpdir(), "chb-stubs-"));
const app = join(work, "app");
try {
  execFileSync("node", ["dist/cli.js", app, "--yes", "--no-validate", "--no-git"], { stdio: "inherit" });
  const { bufVersion } = JSON.parse(readFileSync("package.json", "utf8")).hybridBackend;
  execFileSync("npx", ["--yes", `@bufbuild/buf@${bufVersion}`, "generate"], { cwd: app, stdio: "inherit" });
  const target = "templates/go-orchestrator/gen";
  rmSync(target, { recursive: true, force: true });
  cpSync(join(app, "orchestrator", "gen"), target, { recursive: true });
  console.log(`updated ${target}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
