import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { CI_FILES } from "../../src/render/ci-jobs.js";
import { render } from "../../src/render/index.js";

/**
 * toolchains.rust is the one source of the Rust release: CI's rustup on both
 * providers, the rust image of GitLab's jobs and of the Dockerfiles, and
 * Cargo's rust-version all read it, and it names a patch release (rustup given
 * 1.95 installs whichever 1.95.x is newest that day). A release other than the
 * default must reach every one of them, with no default left behind.
 */
const RELEASE = "1.94.1";
const m = parseManifest({
  name: "risk-api",
  orchestrator: { module: "example.com/risk-api/orchestrator" },
  workers: [{ name: "scorer" }, { name: "fraud" }],
  ci: { providers: ["github", "gitlab"] },
  toolchains: { rust: RELEASE },
  images: { [`rust:${RELEASE}-bookworm`]: `sha256:${"7".repeat(64)}` },
});
const tree = render(m);
const text = (path: string) => tree.get(path)!.content.toString("utf8");

describe("the Rust release", () => {
  it("is an exact patch release in the manifest", () => {
    expect(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" } }).toolchains.rust).toMatch(/^\d+\.\d+\.\d+$/);
    expect(() => parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" }, toolchains: { rust: "1.95" } })).toThrow(
      /toolchains\.rust.*MAJOR\.MINOR\.PATCH/s,
    );
  });

  it("is what both providers' CI installs", () => {
    const gh = parse(text(CI_FILES.github)) as { env: Record<string, string>; jobs: Record<string, { steps: { run?: string }[] }> };
    const gl = parse(text(CI_FILES.gitlab)) as Record<string, { image?: string; before_script?: string[] }> & { variables: Record<string, string> };
    expect(gh.env.RUST_TOOLCHAIN).toBe(RELEASE);
    expect(gl.variables.RUST_TOOLCHAIN).toBe(RELEASE);
    expect(gl[".rust"]!.image).toMatch(new RegExp(`^rust:${RELEASE.replaceAll(".", "\\.")}-bookworm@sha256:`));
    // Every rustup install takes the variable, not a release of its own.
    const installs = [
      ...Object.values(gh.jobs).flatMap((j) => j.steps.map((s) => s.run ?? "")),
      ...(gl[".rustup"]!.before_script ?? []),
    ].filter((run) => /rustup(-init)? /.test(run) && /toolchain install|default-toolchain/.test(run));
    expect(installs.length).toBeGreaterThan(0);
    for (const run of installs) expect(run).toMatch(/(toolchain install|--default-toolchain) "\$\{RUST_TOOLCHAIN\}"/);
  });

  it("is what every worker image builds with and what Cargo requires", () => {
    for (const w of m.workers) {
      expect(text(`workers/${w.name}/Dockerfile`)).toMatch(new RegExp(`^FROM rust:${RELEASE.replaceAll(".", "\\.")}-bookworm@sha256:`, "m"));
    }
    expect(text("workers/Cargo.toml")).toContain(`rust-version = "${RELEASE}"`);
  });

  it("leaves the default release nowhere", () => {
    // The manifest (whose images keep every default digest) and its schema state
    // the defaults themselves; a model threshold of 81.95 is no release.
    const stale = [...tree.keys()]
      .filter((path) => path !== "hybrid-backend.json" && !path.endsWith("manifest.schema.json"))
      .flatMap((path) => text(path).split("\n").filter((line) => /\b1\.95\b/.test(line) && /rust|cargo|toolchain/i.test(line)).map((line) => `${path}: ${line}`));
    expect(stale).toEqual([]);
  });
});
