import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSync } from "../../src/commands/sync.js";
import { MANIFEST_FILE } from "../../src/manifest.js";
import { ROOT, captureLog, tempDir } from "../helpers/cli.js";

/**
 * What sync does to each example after the same scripted history: the team
 * edits the Makefile and the GitHub workflow, then bumps Rust and Go, adds
 * GitLab CI and a second worker in hybrid-backend.json. The dry-run report and diff are kept as
 * golden files, so any change in what sync writes shows up in review.
 */
const presets = Object.keys(JSON.parse(readFileSync(join(ROOT, "scripts", "presets.json"), "utf8")) as object);
const root = tempDir("chb-sync-golden-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(presets)("sync on examples/%s", (preset) => {
  it("merges the team's edits with a manifest change, as recorded", async () => {
    const dir = join(root, preset);
    cpSync(join(ROOT, "examples", preset), dir, { recursive: true });
    edit(dir, "Makefile", (t) => `${t}\n# Team: deploy with ./deploy.sh after make build.\n`);
    edit(dir, ".github/workflows/ci.yml", (t) => t.replace(/^  cancel-in-progress: .*$/m, "  cancel-in-progress: false # keep main runs"));
    edit(dir, MANIFEST_FILE, (t) => {
      const m = JSON.parse(t);
      m.toolchains = { ...m.toolchains, go: "1.27", rust: "1.96.0" };
      // A toolchain bump brings the digests of its base images (test values).
      m.images = { ...m.images, "golang:1.27-bookworm": `sha256:${"27".repeat(32)}`, "rust:1.96.0-bookworm": `sha256:${"96".repeat(32)}` };
      m.ci.providers.push("gitlab");
      m.workers.push({ name: "pricing", transport: "tcp" });
      return `${JSON.stringify(m, null, 2)}\n`;
    });

    const dry = await captureLog(() => runSync(dir, { dryRun: true }));
    expect(dry.code).toBe(0);
    // New files are listed in the report; their whole text in the diff would
    // only repeat the templates, so the golden keeps the changes to existing ones.
    const text = dry.out
      // The report names the repo relative to the current folder when it is below it, else whole (src/shown-path.ts).
      .replaceAll(dir, "<repo>")
      .replaceAll(relative(process.cwd(), dir), "<repo>")
      .split(/^(?=diff --git )/m)
      .filter((chunk) => !/^new file mode /m.test(chunk))
      .join("");
    await expect(`${text}\n`).toMatchFileSnapshot(join("__snapshots__", "sync", `${preset}.txt`));

    const real = await captureLog(() => runSync(dir, { json: true }));
    expect(real.code).toBe(0);
    const makefile = readFileSync(join(dir, "Makefile"), "utf8");
    expect(makefile).toContain("# Team: deploy with ./deploy.sh after make build.");
    const ci = readFileSync(join(dir, ".github/workflows/ci.yml"), "utf8");
    expect(ci).toContain("cancel-in-progress: false # keep main runs");
    expect(ci).toContain('RUST_TOOLCHAIN: "1.96.0"');
    expect(readFileSync(join(dir, "orchestrator/go.mod"), "utf8")).toMatch(/^go 1\.27\.0$/m);
    expect(readFileSync(join(dir, ".gitlab-ci.yml"), "utf8")).toContain(`image: rust:1.96.0-bookworm@sha256:${"96".repeat(32)}`);
    expect(ci).toContain("rust-pricing:");
    expect(readFileSync(join(dir, "workers/Cargo.toml"), "utf8")).toContain('"pricing"');
    expect(readFileSync(join(dir, "workers/pricing/Cargo.toml"), "utf8")).toContain('name = "pricing"');

    const check = await captureLog(() => runSync(dir, { check: true }));
    expect(check.code).toBe(0);
  });
});

function edit(dir: string, path: string, change: (text: string) => string) {
  const file = join(dir, path);
  writeFileSync(file, change(readFileSync(file, "utf8")));
}
