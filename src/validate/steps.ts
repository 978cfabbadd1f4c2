import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import type { Manifest } from "../manifest.js";
import { CARGO_COMMANDS } from "../render/cargo-commands.js";
import { track, type Activity } from "./activity.js";
import { LINTED_TEST_LABEL, lintingEnv } from "./clippy-lint.js";
import { withBuildDirLock } from "./build-dir-lock.js";
import { CommandFailed, run, type RunOptions } from "./exec.js";
import { interrupted, removeTemp, tempFolder } from "./lifecycle.js";
import { QUEUE_SMOKE_COMMANDS } from "./queue-smoke.js";
import { pruneMembers, rustBuildEnv, seedTarget } from "./rust-build.js";
import { repoStateDir } from "./verdicts.js";
import type { WorkerBinary } from "./services.js";

export interface Binaries {
  orchestrator?: string;
  workers?: WorkerBinary[];
  /** Folder with every Go command (orchestrator, smoke, bootstrap, ...). */
  goBin?: string;
}

export interface StepContext {
  /** The generated repo and its manifest. */
  dir: string;
  manifest: Manifest;
  /** Folder for this run's logs and build outputs. */
  work: string;
  buf: string;
  /** moto_server, for queue presets. */
  motoBin?: string;
  log: (step: string) => string;
  /** Filled by the build steps, read by smoke. */
  binaries: Binaries;
  /** Toolchain versions found by doctor: part of the verdict cache key. */
  toolVersions: string[];
  activity: Activity;
  /** A line for the person watching (what a step could not check). */
  note?: (msg: string) => void;
  /**
   * Resolved once the go step has compiled the orchestrator's dependencies
   * (its `go vet`), or has ended (index.ts). The contract step's `buf generate` waits
   * for it: its plugins run as `go tool protoc-gen-*`, which compile the same
   * protobuf and grpc packages, and two go commands side by side each compile
   * them, since the build cache shares only finished work. On a cold cache
   * the plugins cost 41 CPU-seconds alone and 6 after `go vet`.
   */
  goDepsCompiled: Promise<void>;
  /** Called by the go step to resolve `goDepsCompiled`. */
  goDepsDone: () => void;
}

/** The two StepContext fields that let the contract step wait for the go step. */
export function goDepsGate(): Pick<StepContext, "goDepsCompiled" | "goDepsDone"> {
  let goDepsDone = () => {};
  const goDepsCompiled = new Promise<void>((resolve) => (goDepsDone = resolve));
  return { goDepsCompiled, goDepsDone };
}

/** buf format, lint and a fresh generate compared with the committed stubs. */
export async function contractStep(ctx: StepContext): Promise<void> {
  const log = ctx.log("contract");
  const opts = { cwd: ctx.dir, track: track(ctx, "contract") };
  await run(log, ctx.buf, ["format", "--diff", "--exit-code"], opts);
  await run(log, ctx.buf, ["lint"], opts);
  await ctx.goDepsCompiled;
  const out = tempFolder("hybrid-backend-gen-");
  try {
    await run(log, ctx.buf, ["generate", "--output", out], opts);
    const stale = compareTrees(join(out, "orchestrator", "gen"), join(ctx.dir, "orchestrator", "gen"));
    if (stale.length) {
      throw new CommandFailed(
        "committed stubs are stale",
        `${stale.join("\n")}\nrun \`make gen\` (buf generate) and commit the result`,
      );
    }
  } finally {
    removeTemp(out);
  }
}

/** gofmt, vet, build (including the binary smoke runs) and tests. */
export async function goStep(ctx: StepContext): Promise<void> {
  const log = ctx.log("go");
  const opts = { cwd: join(ctx.dir, "orchestrator"), track: track(ctx, "go") };
  // Every command (orchestrator, and bootstrap/produce for queue presets)
  // into one folder; `go build ./...` alone would not keep the binaries.
  // Kept per repo (not in the run's temp folder) so an unchanged tree can
  // reuse them; see verdicts.ts.
  const bin = join(repoStateDir(ctx.dir), "bin");
  rmSync(bin, { recursive: true, force: true });
  // One after another: run side by side they each re-hash the same packages
  // and measured slower on two cores (rust and contract already run beside).
  await run(log, "gofmt", ["-l", "."], { ...opts, expectNoOutput: true });
  await run(log, "go", ["vet", "./..."], opts);
  ctx.goDepsDone();
  await run(log, "go", ["build", "-o", `${bin}/`, "./cmd/..."], opts);
  // `go vet ./...` has run every analyzer over these packages and their
  // tests; go test's own vet pass (a subset) took 20 of its 30 CPU-seconds
  // on a cold cache.
  await run(log, "go", ["test", "-vet=off", "./..."], opts);
  // Every command was built (so each one links); only those smoke runs are
  // kept, since this folder lives in the tool's cache (loadgen, verify and
  // the smoke client are 15-25 MB each and validate never runs them).
  const keep = new Set(["orchestrator", ...(ctx.manifest.orchestrator.ingress === "http" ? [] : QUEUE_SMOKE_COMMANDS)]);
  for (const f of readdirSync(bin)) if (!keep.has(f)) rmSync(join(bin, f), { force: true });
  ctx.binaries.orchestrator = join(bin, "orchestrator");
  ctx.binaries.goBin = bin;
}

/** cargo fmt, clippy -D warnings, build and tests of the whole workspace, all against Cargo.lock. */
export async function rustStep(ctx: StepContext): Promise<void> {
  const log = ctx.log("rust");
  const env = rustBuildEnv(ctx);
  const opts = { cwd: join(ctx.dir, "workers"), env, track: track(ctx, "rust") };
  const meta = JSON.parse(await run(log, "cargo", ["metadata", "--no-deps", "--format-version", "1"], opts)) as CargoMetadata;
  const build = () => rustBuild(ctx, log, opts, meta);
  const shared = opts.env.CARGO_BUILD_BUILD_DIR;
  if (!shared) await build();
  else await withBuildDirLock(shared, ctx.dir, (line) => ctx.activity.commandStarted("rust", line, ""), build);
  const bins = new Set(meta.packages.flatMap((p) => p.targets).filter((t) => t.kind.includes("bin")).map((t) => t.name));
  ctx.binaries.workers = ctx.manifest.workers.map(({ name, transport }) => {
    if (!bins.has(name)) throw new CommandFailed("cargo metadata", `the workspace has no binary named ${name} (workers/${name}/)`);
    return { name, bin: join(meta.target_directory, "debug", name), transport };
  });
}

interface CargoMetadata {
  target_directory: string;
  packages: { name: string; targets: { kind: string[]; name: string }[] }[];
}

/**
 * The Rust step's builds: lint and test, with the shared build folder's
 * pruning around them and the seeding of the repo's target after them
 * (rust-build.ts); rustStep holds that folder's lock meanwhile.
 */
async function rustBuild(ctx: StepContext, log: string, opts: RunOptions & { env: Record<string, string> }, meta: CargoMetadata): Promise<void> {
  const env = opts.env;
  const clippy = ctx.toolVersions.find((t) => t.startsWith("clippy "))?.replace(/^clippy /, "");
  // Another repo's workers of the same names may be in the shared folder (a run
  // interrupted before its prune below): cargo would take them for this repo's
  // own if this repo's sources are older than that build (rust-build.ts).
  if (env.CARGO_BUILD_BUILD_DIR) pruneMembers(env.CARGO_BUILD_BUILD_DIR, meta.packages);
  const linting = await lintingEnv(opts.cwd, env, clippy);
  // The repo's own `make test`, so the dependencies it compiles are the ones that command needs.
  const [cargo, ...testArgs] = CARGO_COMMANDS.test.split(" ");
  try {
    // rustfmt does not take cargo's build-directory lock, so it runs beside the
    // builds; clippy, build and test share the lock and go one after another.
    await Promise.all([
      run(log, "cargo", ["fmt", "--check"], opts),
      (async () => {
        if (linting) {
          // Compiles (so lints) what `clippy --all-targets` checks but benches,
          // which the workers have none of: the library and binaries plain and
          // as tests, the integration tests and the examples.
          await run(log, cargo!, testArgs, { ...opts, env: { ...env, ...linting }, label: LINTED_TEST_LABEL });
        } else {
          const [clippyCargo, ...clippyArgs] = CARGO_COMMANDS.clippy.split(" ");
          await run(log, clippyCargo!, clippyArgs, opts);
          await run(log, cargo!, testArgs, opts);
        }
        // No `cargo build` after it: `cargo test` built each binary for the
        // integration tests and left it at target/debug/NAME, which smoke runs.
        // The generated dev-dependencies add no features (presets.test.ts holds
        // the templates to that), so it is the plain build; a separate build
        // only recompiled the workspace's crates, 5-6 s at the end of a cold run.
      })(),
    ]);
  } finally {
    // Not while interrupted: deleting a few hundred MB would hold up the exit;
    // the next run prunes them. Seeded whatever the outcome: a failed lint or
    // test leaves the dependencies compiled, and the user's next `make test`
    // is then the one that needs them (a new user's took 4m53s unseeded).
    if (env.CARGO_BUILD_BUILD_DIR && !interrupted()) {
      pruneMembers(env.CARGO_BUILD_BUILD_DIR, meta.packages);
      seedTarget(env.CARGO_BUILD_BUILD_DIR, meta.target_directory);
    }
  }
}

/** Paths that differ between two trees (missing on either side included). */
export function compareTrees(fresh: string, committed: string): string[] {
  const a = listFiles(fresh);
  const b = listFiles(committed);
  const diffs: string[] = [];
  for (const path of new Set([...a, ...b])) {
    const fa = join(fresh, path);
    const fb = join(committed, path);
    if (!existsSync(fa)) diffs.push(`not generated any more: ${path}`);
    else if (!existsSync(fb)) diffs.push(`missing: ${path}`);
    else if (!readFileSync(fa).equals(readFileSync(fb))) diffs.push(`stale: ${path}`);
  }
  return diffs.sort();
}

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
}
