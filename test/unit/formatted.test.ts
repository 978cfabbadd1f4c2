import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Every Go and Rust file a preset renders is as gofmt and rustfmt lay it out,
 * checked in seconds here rather than only by validate's go and rust steps in
 * the e2e run (a template line too long for gofmt's one-line function literal
 * once reached every preset). Each variant that selects other files: every
 * ingress, chi, the uds transport and a second worker.
 */
const VARIANTS = {
  "http stdlib": { orchestrator: { ingress: "http", router: "stdlib" } },
  "http chi, two workers": { orchestrator: { ingress: "http", router: "chi" }, workers: ["scorer", "pricing"] },
  "sqs uds": { orchestrator: { ingress: "sqs" }, transport: "uds" },
  "kinesis, two workers": { orchestrator: { ingress: "kinesis" }, workers: ["scorer", "pricing"] },
} as const;

function files(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => join(e.parentPath, e.name));
}

describe.each(Object.entries(VARIANTS))("%s", (_name, v) => {
  const dir = join(tempDir("chb-fmt-"), "repo");
  mkdirSync(dir);
  const workers = ("workers" in v ? v.workers : ["scorer"]).map((name) => ({ name, transport: "transport" in v ? v.transport : "tcp" }));
  writeTree(dir, render(parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator", ...v.orchestrator }, workers })));

  it("renders Go that gofmt leaves as it is", () => {
    expect(files(join(dir, "orchestrator"), ".go").length).toBeGreaterThan(10);
    expect(execFileSync("gofmt", ["-l", join(dir, "orchestrator")], { encoding: "utf8" })).toBe("");
  });

  it("renders Rust that rustfmt leaves as it is, in the workspace's edition", () => {
    const edition = /^edition = "(\d+)"$/m.exec(readFileSync(join(dir, "workers", "Cargo.toml"), "utf8"))![1]!;
    const rust = files(join(dir, "workers"), ".rs");
    expect(rust.length).toBeGreaterThan(10);
    execFileSync("rustfmt", ["--check", "--edition", edition, ...rust], { encoding: "utf8" });
  });
});
