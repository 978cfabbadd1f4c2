import { execa } from "execa";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectValidated, runCli, tempDir } from "../helpers/cli.js";
import { expectGoLintersPass } from "../helpers/go-linters.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * Every HTTP option combination (router × docker × CI) is generated and held
 * to the linters of its own field that validate does not run. `validate`
 * proves, with the real toolchains, a set of them that covers every pair of
 * choices (all-pairs: each router with docker on and off and with CI on and
 * off, and each docker × CI pair): the three choices touch different files
 * (router: Go; docker: Dockerfiles, compose, deploy/; CI: the workflow), so a
 * fault needs at most two of them to meet, and building the other
 * combinations only rebuilt the same Go and Rust trees (four minutes of CI).
 * The default combination is proven by the packed-tarball test instead,
 * exactly as `npm create` runs it.
 */
const combos = ["stdlib", "chi"].flatMap((router) =>
  [true, false].flatMap((docker) => [true, false].map((github) => ({ router, docker, github }))),
).filter((c) => !(c.router === "stdlib" && c.docker && c.github));
/** With the default (stdlib, docker, github), every pair of choices: validated in full. */
const ALL_PAIRS = new Set(["stdlib false false", "chi true false", "chi false true"]);

it("validates a set of combinations that holds every pair of choices", () => {
  const validated = [...ALL_PAIRS, "stdlib true true"].map((c) => c.split(" "));
  const choices = [["stdlib", "chi"], ["true", "false"], ["true", "false"]];
  for (let a = 0; a < choices.length; a++)
    for (let b = a + 1; b < choices.length; b++)
      for (const x of choices[a]!) for (const y of choices[b]!) expect(validated.some((c) => c[a] === x && c[b] === y), `${x} with ${y}`).toBe(true);
});

const tool = (cmd: string, args: string[], cwd: string) =>
  execa(cmd, args, { cwd, env: E2E_ENV, reject: false, stdin: "ignore", all: true });

describe.each(combos)("router=$router docker=$docker github=$github", ({ router, docker, github }) => {
  const dir = join(tempDir("chb-e2e-"), `app-${router}`);
  const flags = ["--router", router, ...(docker ? [] : ["--no-docker"]), "--ci", github ? "github" : "none"];

  const validated = ALL_PAIRS.has(`${router} ${docker} ${github}`);

  it(validated ? "generates and passes validate with the real toolchains" : "generates, in step with its manifest", async () => {
    const result = await runCli([dir, "--yes", "--json", ...flags, ...(validated ? [] : ["--no-validate"])], process.cwd(), E2E_ENV);
    // No CI files to lint without a provider; no cluster manifests without the images Docker builds.
    if (validated) expectValidated(result, [...(github ? [] : ["ci"]), ...(docker ? [] : ["deploy"])]);
    else {
      expect(result.exitCode, result.stderr).toBe(0);
      expect((await runCli(["sync", "--check"], dir, E2E_ENV)).exitCode).toBe(0);
    }
    const manifest = JSON.parse(readFileSync(join(dir, "hybrid-backend.json"), "utf8"));
    expect(manifest.orchestrator.router).toBe(router);
    expect(manifest.docker).toBe(docker);
    expect(existsSync(join(dir, "workers", "scorer", "Dockerfile"))).toBe(docker);
    expect(existsSync(join(dir, ".github", "workflows", "ci.yml"))).toBe(github);
  });

  if (validated) it("passes staticcheck, deadcode and go mod tidy", () => expectGoLintersPass(join(dir, "orchestrator")));

  // validate's smoke runs the binaries `cargo test` built: were a
  // dev-dependency to add a feature to a crate the binaries use, those would
  // not be the plain build, the test build would compile its own copy of that
  // crate and of every crate above it, and a `cargo build` after `cargo test`
  // would compile them all again. The workers are the same in every
  // combination, so one checks them.
  if (validated && router === "stdlib") it("builds its workers' dependencies once for the tests and the binaries", async () => {
    const units = async (edges: string) => {
      const tree = await tool("cargo", ["tree", "--locked", "--offline", "-e", edges, "--prefix", "none", "-f", "{p} {f}"], join(dir, "workers"));
      expect(tree.exitCode, tree.all).toBe(0);
      return new Set(tree.stdout.split("\n").map((l) => l.replace(/ \(\*\)$/, "")).filter(Boolean));
    };
    const plain = await units("normal,build");
    const withTests = await units("normal,build,dev");
    expect(plain.size).toBeGreaterThan(50);
    expect([...plain].filter((unit) => !withTests.has(unit))).toEqual([]);
  });

  // Lint only what this combination generates: nothing is skipped.
  if (docker) it("has Dockerfiles hadolint accepts", async () => {
    const lint = await tool("hadolint", ["orchestrator/Dockerfile", "workers/scorer/Dockerfile"], dir);
    expect(lint.exitCode, lint.all).toBe(0);
  });

  if (github) it("has a workflow actionlint accepts", async () => {
    const lint = await tool("actionlint", [".github/workflows/ci.yml"], dir);
    expect(lint.exitCode, lint.all).toBe(0);
  });
});

/**
 * A repo evolving the way the manifest promises: created with one worker,
 * edited by the team, then `add worker pricing`. The edits survive, the new
 * crate is wired everywhere, and validate builds, tests and smoke-tests both
 * workers (the queue preset starts both and gates readiness on both), and
 * lints both CI files.
 */
describe.each(["http", "sqs"])("ingress %s: add worker pricing to a generated repo", (ingress) => {
  const root = tempDir("chb-e2e-");
  const dir = join(root, `app-${ingress}`);

  it("keeps the team's edits, and passes validate with both workers", async () => {
    const created = await runCli([dir, "--yes", "--no-validate", "--ingress", ingress, "--ci", "github,gitlab"], process.cwd(), E2E_ENV);
    expect(created.exitCode, created.stderr).toBe(0);
    const ci = join(dir, ".github", "workflows", "ci.yml");
    writeFileSync(ci, readFileSync(ci, "utf8").replace(/^  cancel-in-progress: .*$/m, "  cancel-in-progress: false # team choice"));
    const makefile = join(dir, "Makefile");
    writeFileSync(makefile, `${readFileSync(makefile, "utf8")}\n# Team notes: deploy after make build.\n`);

    const add = await runCli(["add", "worker", "pricing", "--json"], dir, E2E_ENV);
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    const report = JSON.parse(add.stdout) as { files: { path: string; status: string }[] };
    expect(report.files).toContainEqual({ path: ".github/workflows/ci.yml", status: "merged" });
    expect(report.files).toContainEqual({ path: "workers/pricing/Cargo.toml", status: "added" });
    expect(readFileSync(ci, "utf8")).toContain("cancel-in-progress: false # team choice");
    expect(readFileSync(ci, "utf8")).toContain("rust-pricing:");
    expect(readFileSync(join(dir, ".gitlab-ci.yml"), "utf8")).toContain("rust-pricing:");
    expect(readFileSync(makefile, "utf8")).toContain("# Team notes: deploy after make build.");
    expect((await runCli(["sync", "--check"], dir, E2E_ENV)).exitCode).toBe(0);

    expectValidated(await runCli(["validate", "--json"], dir, E2E_ENV));
  });

  it("replays the checks of an unchanged tree, reruns them after any change, and always smokes", async () => {
    const steps = async () => {
      const result = await runCli(["validate", "--json"], dir, E2E_ENV);
      expectValidated(result);
      return Object.fromEntries((JSON.parse(result.stdout).steps as { name: string; cached?: boolean }[]).map((s) => [s.name, Boolean(s.cached)]));
    };
    expect(await steps()).toEqual({ doctor: false, contract: true, ci: true, go: true, rust: true, deploy: true, smoke: false });
    const main = join(dir, "orchestrator", "cmd", "orchestrator", "main.go");
    writeFileSync(main, `${readFileSync(main, "utf8")}\n// touched\n`);
    expect(await steps()).toEqual({ doctor: false, contract: false, ci: false, go: false, rust: false, deploy: false, smoke: false });
  });

  // validate lints the workers while `cargo test` compiles them (clippy-lint.ts):
  // a clippy lint, not only a compiler warning, must still fail the rust step.
  if (ingress === "http") it("fails the rust step on a clippy lint in a worker, naming the lint", async () => {
    // The crate root: a public function there is part of the crate, so only the lint can fail it.
    const file = join(dir, "workers", "pricing", "src", "lib.rs");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, `${before}\n/// Lint bait.\n#[must_use]\npub fn is_empty_bait(v: &[u8]) -> bool {\n    v.len() == 0\n}\n`);
    try {
      const r = await runCli(["validate", "--json"], dir, E2E_ENV);
      expect(r.exitCode, r.stdout + r.stderr).not.toBe(0);
      const report = JSON.parse(r.stdout) as { ok: boolean; error?: { step: string; message: string; logs: string } };
      expect(report.error?.step, r.stdout).toBe("rust");
      expect(report.error?.message, r.stdout).toMatch(/length comparison to zero|len_zero/);
      // Caught by the linted test build, not by a separate clippy pass.
      const log = readFileSync(join(report.error!.logs, "rust.log"), "utf8");
      expect(log).toContain("cargo test --locked (clippy -D warnings while compiling)");
      expect(log).not.toContain("cargo clippy");
    } finally {
      writeFileSync(file, before);
    }
  });

  it("has worker Dockerfiles hadolint accepts", async () => {
    const lint = await tool("hadolint", ["workers/scorer/Dockerfile", "workers/pricing/Dockerfile"], dir);
    expect(lint.exitCode, lint.all).toBe(0);
  });
});

/**
 * A worker with transport uds (a sidecar in its pod) is smoke-tested on its
 * Unix socket, by validate and by the repo's own make smoke: the orchestrator
 * dials unix://, and every vector scores through it.
 */
describe("transport uds", () => {
  const dir = join(tempDir("chb-e2e-"), "app-uds");

  it("passes validate, and make smoke, with the worker on a Unix socket, and leaves no temp folder behind", async () => {
    // Its own TMPDIR, to see what a successful run leaves there: nothing (a socket's folder once stayed).
    const tmp = tempDir("chb-uds-tmp-");
    const result = await runCli([dir, "--yes", "--json", "--transport", "uds", "--ci", "none", "--no-docker"], process.cwd(), { ...E2E_ENV, TMPDIR: tmp });
    expectValidated(result, ["ci", "deploy"]);
    expect(readdirSync(tmp), "left in TMPDIR by validate").toEqual([]);
    const smoke = await tool("make", ["smoke"], dir);
    expect(smoke.exitCode, smoke.all?.slice(-4000)).toBe(0);
    const started = readFileSync(join(dir, ".smoke", "orchestrator.log"), "utf8").split("\n").find((l) => l.includes('"msg":"starting"'));
    expect(started, "the orchestrator's starting line").toMatch(/"addrs":\["unix:\/\/[^"]+\/scorer\.sock"\]/);
  });

  it("passes staticcheck, deadcode and go mod tidy", () => expectGoLintersPass(join(dir, "orchestrator")));
});
