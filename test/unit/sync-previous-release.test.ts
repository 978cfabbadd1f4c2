import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * A repo made by the release before the shared crates and exact Rust
 * releases, synced by this one: its manifest recorded toolchains.rust as
 * MAJOR.MINOR, and its worker crate held its own copy of the shared code
 * (workers/scorer/src/server.rs, now workers/worker-kit/src/server.rs).
 * Built compactly from a fresh repo: the records and files put back as that
 * release wrote them, its render of the moved file in git as a real repo's
 * first commit holds it.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const OLD = "workers/scorer/src/server.rs";
const NEW = "workers/worker-kit/src/server.rs";
const LEDGER = ".hybrid-backend/ledger.json";
const RUST_DIGEST = "sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1";

let dir: string;
beforeEach(async () => {
  const parent = tempDir("chb-sync-prev-");
  dir = join(parent, "app");
  const created = await runCli(["app", "--yes", "--no-validate"], parent);
  expect(created.exitCode, created.stderr).toBe(0);
});

const read = (path: string) => readFileSync(join(dir, path), "utf8");
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};
const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();

/** The tools that release hard-coded in the files, not yet in the manifest. */
const ADDED = { staticcheck: "0.8.2", moto: "5.2.5", grpcurl: "1.9.4" };

/** Its release, MAJOR.MINOR and the image pinned under that tag, as the older release recorded them, without the fields added since. */
function olderManifest(m: Record<string, any>) {
  // The release that wrote it: every build of main before the -dev versions recorded 0.1.0.
  m.generator.version = "0.1.0";
  m.toolchains.rust = "1.95";
  for (const tool of Object.keys(ADDED)) delete m.toolchains[tool];
  delete m.images["rust:1.95.0-bookworm"];
  m.images["rust:1.95-bookworm"] = RUST_DIGEST;
}

/**
 * The previous layout for one moved file: its render at the old path (the
 * new render but for the first line, which the release changed), recorded
 * in the ledger there and stored in git; the new path never written. The
 * team's file at the old path is `team(render)`.
 */
function previousRelease(team: (render: string) => string) {
  const now = read(NEW);
  const lines = now.split("\n");
  const render = ["//! The gRPC server (previous release).", ...lines.slice(1)].join("\n");
  rmSync(join(dir, NEW));
  write(OLD, team(render));
  writeFileSync(join(dir, "old-render"), render);
  const blob = git("hash-object", "-w", "old-render");
  rmSync(join(dir, "old-render"));
  const ledger = JSON.parse(read(LEDGER));
  delete ledger.files[NEW];
  ledger.files[OLD] = { blob, mode: 0o644 };
  olderManifest(ledger.manifest);
  write(LEDGER, `${JSON.stringify(ledger, null, 2)}\n`);
  const manifest = JSON.parse(read("hybrid-backend.json"));
  olderManifest(manifest);
  write("hybrid-backend.json", `${JSON.stringify(manifest, null, 2)}\n`);
  return { now, render };
}

const OURS = "/// Health service name of the scoring service, as our clients ask for it.";
const teamLine = (text: string) => text.replace("/// Health service name of the scoring service, as clients ask for it.", OURS);

describe("sync of a repo made by the previous release", () => {
  it("migrates toolchains.rust to the exact release, saying so in one line", async () => {
    previousRelease((r) => r);
    const sync = await runCli(["sync"], dir);
    expect(sync.exitCode, sync.stderr + sync.stdout).toBe(0);
    const notices = sync.stdout.split("\n").filter((l) => l.includes("toolchains.rust"));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/changed toolchains\.rust in hybrid-backend\.json from "1\.95" to "1\.95\.0": an exact release/);
    const manifest = JSON.parse(read("hybrid-backend.json"));
    expect(manifest.toolchains.rust).toBe("1.95.0");
    // The team's pin moves with the release it names; the old tag's entry does not linger.
    expect(manifest.images["rust:1.95.0-bookworm"]).toBe(RUST_DIGEST);
    expect(manifest.images["rust:1.95-bookworm"]).toBeUndefined();
    const again = await runCli(["sync"], dir);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).not.toContain("toolchains.rust");
  });

  it("names each field it added to the manifest with the value taken, in a preview and in the run, once", async () => {
    previousRelease((r) => r);
    const added = (out: string) => out.split("\n").filter((l) => /^ {2}(would record|recorded) toolchains\./.test(l));
    const preview = await runCli(["sync", "--dry-run"], dir);
    expect(preview.exitCode, preview.stderr).toBe(0);
    expect(added(preview.stdout).map((l) => l.split(":")[0])).toEqual(
      Object.entries(ADDED).map(([tool, v]) => `  would record toolchains.${tool} "${v}" in hybrid-backend.json, a new field`),
    );
    expect(JSON.parse(read("hybrid-backend.json")).toolchains).not.toHaveProperty("moto");
    const sync = await runCli(["sync"], dir);
    expect(sync.exitCode, sync.stderr + sync.stdout).toBe(0);
    expect(added(sync.stdout)).toHaveLength(3);
    expect(added(sync.stdout)[0]).toMatch(/^  recorded toolchains\.staticcheck "0\.8\.2" in hybrid-backend\.json, a new field: .*set it here$/);
    expect(JSON.parse(read("hybrid-backend.json")).toolchains).toMatchObject(ADDED);
    const again = await runCli(["sync"], dir);
    expect(added(again.stdout)).toEqual([]);
  });

  it("carries the team's edit of a moved file to its new path and removes the old one", async () => {
    const { now } = previousRelease(teamLine);
    const sync = await runCli(["sync"], dir);
    expect(sync.exitCode, sync.stderr + sync.stdout).toBe(0);
    expect(existsSync(join(dir, OLD))).toBe(false);
    // Both changes: the release's first line and the team's.
    expect(read(NEW)).toBe(teamLine(now));
    expect(sync.stdout).toContain(`${NEW}  (your edits to ${OLD}, which moved here, merged in)`);
    expect(sync.stdout).toMatch(new RegExp(`removed +${OLD}  \\(moved to ${NEW}, with your edit\\)`));
    expect(JSON.parse(read(LEDGER)).files[OLD]).toBeUndefined();
    expect((await runCli(["sync", "--check"], dir)).exitCode).toBe(0);
  });

  it("reports a conflict at the new path, and keeps the old file, when the edit and the release changed the same lines", async () => {
    previousRelease((r) => teamLine(r).replace("(previous release)", "(ours)"));
    const sync = await runCli(["sync"], dir);
    expect(sync.exitCode).toBe(3);
    const merged = read(NEW);
    expect(merged).toContain("<<<<<<<");
    expect(merged).toContain("(ours)");
    expect(merged).toContain(OURS);
    expect(read(OLD)).toContain("(ours)");
    expect(sync.stdout).toMatch(new RegExp(`conflict +${NEW}`));
    expect(sync.stdout).toMatch(new RegExp(`kept +${OLD}  \\(moved to ${NEW}, where your edit is in conflict`));
  });

  it("still refuses a MAJOR.MINOR Rust release given to create, naming the field", async () => {
    const parent = tempDir("chb-sync-prev-bad-");
    const config = join(parent, "answers.json");
    writeFileSync(config, JSON.stringify({ name: "app", toolchains: { rust: "1.95" } }));
    const bad = await runCli(["app", "--yes", "--no-validate", "--config", config], parent);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/toolchains\.rust: "1\.95" is not valid; use the exact release MAJOR\.MINOR\.PATCH/);
    expect(existsSync(join(parent, "app"))).toBe(false);
  });
});

describe("sync of a queue repo whose team pinned a tool the manifest did not record yet", () => {
  /** An sqs repo as the previous release recorded it, the team's edit of scripts/emulator.sh committed. */
  async function teamPinned(edit: (script: string) => string) {
    const parent = tempDir("chb-sync-prev-pin-");
    dir = join(parent, "app");
    const created = await runCli(["app", "--yes", "--no-validate", "--ingress", "sqs"], parent);
    expect(created.exitCode, created.stderr).toBe(0);
    const ledger = JSON.parse(read(LEDGER));
    olderManifest(ledger.manifest);
    write(LEDGER, `${JSON.stringify(ledger, null, 2)}\n`);
    const manifest = JSON.parse(read("hybrid-backend.json"));
    olderManifest(manifest);
    write("hybrid-backend.json", `${JSON.stringify(manifest, null, 2)}\n`);
    write("scripts/emulator.sh", edit(read("scripts/emulator.sh")));
    git("commit", "-qam", "team: emulator");
    const sync = await runCli(["sync"], dir);
    expect(sync.exitCode, sync.stderr + sync.stdout).toBe(0);
    return (tool: string) => sync.stdout.split("\n").find((l) => l.startsWith(`  recorded toolchains.${tool} `))!;
  }

  it("names the file whose own value the default now contradicts", async () => {
    const notice = await teamPinned((s) => s.replace(`MOTO_VERSION=${ADDED.moto}`, "MOTO_VERSION=5.2.6"));
    expect(notice("moto")).toMatch(/default is taken, but scripts\/emulator\.sh has your own value where this field now lands.*set that value here/);
    expect(notice("staticcheck")).not.toContain("emulator.sh");
    expect(read("scripts/emulator.sh")).toContain("MOTO_VERSION=5.2.6");
  });

  it("names no file when the team's edit is elsewhere in it", async () => {
    const notice = await teamPinned((s) => s.replace("set -euo pipefail", "set -euo pipefail\n# ours"));
    expect(notice("moto")).not.toContain("emulator.sh");
  });
});
