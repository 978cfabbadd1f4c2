// Tool-side benchmarks (issues 5 and 12): medians and ratios against
// baselines measured in the same run, alternating the two sides so machine
// noise hits both alike, then the targets table. Not a test: it asserts nothing.
//   generation  the default command as users run it (git init + initial commit)
//               and with --no-git, each vs `create-vite --template vanilla-ts`
//   footprint   npm pack tarball and what `npm install` of it brings
//   --validate  warm `validate` (unchanged tree: checks replayed, smoke live) and
//               `validate --no-cache` vs `go build ./...` + `cargo build` of the same tree
//   --cold      cold `validate` vs the cold build floor, on one default project with
//               dependencies downloaded but EMPTY build caches (fresh GOCACHE,
//               CARGO_TARGET_DIR and staticcheck cache on each side), min(runs, 3)
//               alternated pairs; each pair takes minutes, hence opt-in
//   --system F  the generated system's rows (throughput, p99, grpc-gateway, Rust per
//               core, goodput, model memory) from F, a generated repo's bench/results.json
//               written by its `make bench` (this script does not run it)
//   --against D another checkout D of this tool (built: D/dist exists), packed and
//               installed the same way, its default command alternated with ours and
//               create-vite: a change's before/after in the same run, on the same disk
// Usage: USAGE below
//        (or BENCH_VALIDATE=1, BENCH_COLD=1, BENCH_SYSTEM=FILE in the environment)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const CREATE_VITE = "create-vite@9.3.0";
const USAGE = "usage: npm run bench [-- --runs N] [--validate] [--cold] [--system FILE] [--against DIR] [--json FILE]";
let values;
try {
  ({ values } = parseArgs({
    options: {
      runs: { type: "string", default: "7" },
      validate: { type: "boolean", default: Boolean(process.env.BENCH_VALIDATE) },
      cold: { type: "boolean", default: Boolean(process.env.BENCH_COLD) },
      system: { type: "string", default: process.env.BENCH_SYSTEM },
      json: { type: "string" },
      against: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (err) {
  console.error(`bench: ${err.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`bench: --runs ${JSON.stringify(values.runs)}: a whole number of runs, 1 or more\n${USAGE}`);
  process.exit(2);
}
const cli = join(process.cwd(), "dist", "cli.js");
if (values.against !== undefined && !statSync(join(resolve(values.against), "dist", "cli.js"), { throwIfNoEntry: false })) {
  console.error(`bench: --against ${JSON.stringify(values.against)}: a checkout of this tool with dist/cli.js built (npm run build there)\n${USAGE}`);
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), "chb-bench-"));
const results = {};

function time(cmd, args, opts = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: "ignore", ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
function report(name, ours, base, baseName) {
  const row = { medianMs: Math.round(median(ours)), baselineMs: Math.round(median(base)), ratio: median(ours) / median(base) };
  results[name] = { ...row, baseline: baseName, runs: ours.length, samplesMs: ours.map(Math.round), baselineSamplesMs: base.map(Math.round) };
  console.log(`${name.padEnd(24)} ${String(row.medianMs).padStart(7)} ms   ${baseName}: ${row.baselineMs} ms   ratio ${row.ratio.toFixed(2)}x`);
}
function du(dir) {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) bytes += statSync(join(e.parentPath, e.name)).size;
  return bytes;
}

/**
 * The default command with and without git, alternated with create-vite run
 * from a local install. Both run installed from their packages, as `npm
 * create` runs them: ours from the tarball footprint() installed, which
 * carries its templates compiled only (this repo's dist/ would read and hash
 * every .hbs source as well).
 */
function generation(installed, other) {
  const viteTool = join(work, "vite-tool");
  execFileSync("npm", ["install", "--prefix", viteTool, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", CREATE_VITE]);
  const viteBin = join(viteTool, "node_modules", "create-vite", "index.js");
  // Each run in a fresh parent folder outside any repository (the tmpdir), as a user would.
  // Both tools write into the same parent: creating a file can cost very different
  // amounts in different parts of one filesystem (here, ext4 without a journal: 210
  // files took 6 ms under one folder and 128 ms under another, the kernel's time in
  // its inode allocator skipping recently freed inodes, by perf). create-vite joins
  // its argument to its working folder even when absolute, so it runs from gen with
  // a relative name; given an absolute path, it wrote under the repo's ./tmp.
  const gen = join(work, "gen");
  mkdirSync(gen);
  const vite = (name) => time("node", [viteBin, name, "--template", "vanilla-ts", "--no-interactive"], { cwd: gen });
  const git = [];
  const noGit = [];
  const theirs = [];
  const before = [];
  // One warm-up of each: the first run reads everything from disk.
  time("node", [installed, join(gen, "warm-git"), "--yes", "--no-validate"]);
  if (other) time("node", [other, join(gen, "warm-against"), "--yes", "--no-validate"]);
  vite("warm-vite");
  for (let i = 0; i < runs; i++) {
    git.push(time("node", [installed, join(gen, `git-${i}`), "--yes", "--no-validate"]));
    if (other) before.push(time("node", [other, join(gen, `against-${i}`), "--yes", "--no-validate"]));
    theirs.push(vite(`vite-${i}`));
    noGit.push(time("node", [installed, join(gen, `nogit-${i}`), "--yes", "--no-validate", "--no-git"]));
  }
  report("generation (with git)", git, theirs, "create-vite");
  report("generation --no-git", noGit, theirs, "create-vite");
  if (other) {
    report("generation, --against", before, theirs, "create-vite");
    report("this vs --against", git, before, values.against);
  }
  rmSync(gen, { recursive: true, force: true });
}

/**
 * What `npm create` downloads and installs: checkout packed (its prepack
 * builds it, unless scripts are off) into its own folder under work, then
 * installed; returns the installed CLI and both sizes.
 */
function install(checkout, name, scripts = true) {
  const dir = join(work, name);
  mkdirSync(join(dir, "project"), { recursive: true });
  const args = ["pack", "--json", "--pack-destination", dir, ...(scripts ? [] : ["--ignore-scripts"])];
  const tarball = join(dir, JSON.parse(execFileSync("npm", args, { encoding: "utf8", cwd: checkout }))[0].filename);
  const proj = join(dir, "project");
  execFileSync("npm", ["init", "-y"], { cwd: proj, stdio: "ignore" });
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: proj });
  return { cli: join(proj, "node_modules", "create-hybrid-backend", "dist", "cli.js"), tarballBytes: statSync(tarball).size, installedBytes: du(join(proj, "node_modules")) };
}

/** This checkout's footprint; returns its installed CLI. */
function footprint() {
  const { cli: installed, ...sizes } = install(process.cwd(), "install");
  results.footprint = sizes;
  console.log(`footprint                tarball ${(results.footprint.tarballBytes / 1e6).toFixed(2)} MB, installed ${(results.footprint.installedBytes / 1e6).toFixed(2)} MB`);
  return installed;
}

/**
 * Warm validate against the floor of building the same tree, alternated.
 * "validate": the tree is unchanged since the last pass, so the checks are
 * replayed and doctor + the live smoke test run; "--no-cache" reruns every
 * check (go and cargo caches warm), which is what an edit costs at most.
 */
function warmValidate() {
  const repo = join(work, "repo");
  execFileSync("node", [cli, repo, "--yes", "--no-validate", "--no-git"]);
  time("node", [cli, "validate", repo]); // warm-up: dependencies, buf, tools
  // The floor's own warm-up: validate builds Rust in the tool's shared build
  // folder, a plain `cargo build` in workers/target, so each warms its own.
  time("cargo", ["build", "--locked"], { cwd: join(repo, "workers") });
  const validate = [];
  const full = [];
  const floor = [];
  for (let i = 0; i < Math.min(runs, 5); i++) {
    validate.push(time("node", [cli, "validate", repo]));
    full.push(time("node", [cli, "validate", "--no-cache", repo]));
    floor.push(time("go", ["build", "./..."], { cwd: join(repo, "orchestrator") }) + time("cargo", ["build", "--locked"], { cwd: join(repo, "workers") }));
  }
  report("validate", validate, floor, "go+cargo build");
  report("validate --no-cache", full, floor, "go+cargo build");
}

/**
 * Cold validate vs the cold build floor: one default project, its Go modules
 * and crates downloaded (the shared module cache and cargo registry are
 * warm), each side with its own EMPTY build caches: GOCACHE and
 * CARGO_TARGET_DIR, and for validate staticcheck's cache too (it keeps one
 * of its own, outside GOCACHE). The floor is what any check of the tree must
 * compile: `go build ./...` and `cargo build`; the test builds (`cargo test
 * --no-run`) validate's rust step also needs are timed after it, shown
 * beside it and never counted in it. min(--runs, 3) pairs, the order
 * alternating from pair to pair so a slow spell of the machine hits both
 * sides alike; medians over the pairs, as the other rows. Validate's own
 * per-step times come from its --json report.
 */
function coldValidate() {
  const repo = join(work, "cold");
  execFileSync("node", [cli, repo, "--yes", "--no-validate"]);
  const orchestrator = join(repo, "orchestrator");
  const workers = join(repo, "workers");
  execFileSync("go", ["mod", "download"], { cwd: orchestrator, stdio: "ignore" });
  execFileSync("cargo", ["fetch", "--locked"], { cwd: workers, stdio: "ignore" });
  // Each side's caches are removed once it is timed: a cold Rust target is
  // gigabytes, and pairs would otherwise pile them up.
  const coldly = (side, run) => {
    const root = mkdtempSync(join(work, `cold-${side}-`));
    const env = { ...process.env, GOCACHE: join(root, "gocache"), CARGO_TARGET_DIR: join(root, "target"), CARGO_INCREMENTAL: "0", STATICCHECK_CACHE: join(root, "staticcheck") };
    try {
      return run(env);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  const validate = () =>
    coldly("validate", (env) => {
      const started = process.hrtime.bigint();
      const v = spawnSync("node", [cli, "validate", "--no-cache", "--json", repo], { env, encoding: "utf8", maxBuffer: 64 << 20 });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (v.status !== 0) throw new Error(`validate exited ${v.status}: ${v.stdout.slice(-2000)}${v.stderr.slice(-2000)}`);
      return { ms, steps: Object.fromEntries(JSON.parse(v.stdout).steps.map((s) => [s.name, s.durationMs])) };
    });
  const floor = () =>
    coldly("floor", (env) => {
      const steps = {
        "go build ./...": time("go", ["build", "./..."], { cwd: orchestrator, env }),
        "cargo build": time("cargo", ["build", "--locked"], { cwd: workers, env }),
      };
      const testBuildMs = time("cargo", ["test", "--no-run", "--locked"], { cwd: workers, env });
      return { ms: steps["go build ./..."] + steps["cargo build"], steps, testBuildMs };
    });
  const vs = [];
  const floors = [];
  for (let i = 0; i < Math.min(runs, 3); i++) {
    if (i % 2 === 1) floors.push(floor());
    vs.push(validate());
    if (i % 2 === 0) floors.push(floor());
  }
  // Per step: the median over the pairs of each step's own time.
  const stepMedians = (sides) => Object.fromEntries(Object.keys(sides[0].steps).map((k) => [k, Math.round(median(sides.map((r) => r.steps[k])))]));
  const validateMs = median(vs.map((v) => v.ms));
  const floorMs = median(floors.map((f) => f.ms));
  const testBuildMs = median(floors.map((f) => f.testBuildMs));
  results["cold validate"] = {
    medianMs: Math.round(validateMs),
    baselineMs: Math.round(floorMs),
    ratio: validateMs / floorMs,
    baseline: "cold go build + cargo build",
    runs: vs.length,
    samplesMs: vs.map((v) => Math.round(v.ms)),
    baselineSamplesMs: floors.map((f) => Math.round(f.ms)),
    pairRatios: vs.map((v, i) => Number((v.ms / floors[i].ms).toFixed(3))),
    testBuildMs: Math.round(testBuildMs),
    ratioWithTestBuild: validateMs / (floorMs + testBuildMs),
    validateStepsMs: stepMedians(vs),
    floorStepsMs: stepMedians(floors),
  };
  const r = results["cold validate"];
  console.log(`${"cold validate".padEnd(24)} ${String(r.medianMs).padStart(7)} ms   floor: ${r.baselineMs} ms   ratio ${r.ratio.toFixed(2)}x (medians of ${r.runs}; per pair ${r.pairRatios.join(", ")})`);
  console.log(`  validate steps (median ms, go/rust/contract/ci/deploy run side by side): ${JSON.stringify(r.validateStepsMs)}`);
  console.log(`  floor steps (median ms, one after another): ${JSON.stringify(r.floorStepsMs)}`);
  console.log(`  then cargo test --no-run: ${r.testBuildMs} ms (info: validate builds the tests too; ratio with it in the floor ${r.ratioWithTestBuild.toFixed(2)}x)`);
}

/** The issue sets the p99 target at 2,000 req/s: a run at another BENCH_RATE is not that figure. */
function atIssueRate(system, row) {
  const rate = system?.settings?.rate_per_s;
  if (row.met === undefined || rate === undefined || rate === 2000) return row;
  return { value: `${row.value} (measured at ${rate} req/s, not 2,000: rerun make bench without BENCH_RATE)`, met: false };
}

/**
 * The issue's targets table. Rows owned by the generated system come from
 * its bench/results.json (--system), matched by the names its loadgen gives
 * its checks; without one they are reported as not measured.
 */
function targetsTable() {
  const system = values.system ? JSON.parse(readFileSync(resolve(values.system), "utf8")) : undefined;
  results.system = system;
  const fromSystem = (pattern) => {
    if (!system) return { value: "not measured (run `make bench` in a generated repo, then npm run bench -- --system <repo>/bench/results.json)" };
    const hits = (system.targets ?? []).filter((t) => pattern.test(t.name));
    if (hits.length === 0) return { value: `not in ${values.system}` };
    return { value: hits.map((t) => `${t.name}: ${t.value}`).join("; "), met: hits.every((t) => t.met) };
  };
  // Judged on the unrounded ratio: 3.004 is over 3. No target: an (info) row, neither met nor not.
  const tool = (row, target) =>
    row ? { value: `${row.ratio.toFixed(2)}x (${row.medianMs} / ${row.baselineMs} ms)`, met: target === undefined ? undefined : row.ratio <= target } : undefined;
  const notRun = (flag) => ({ value: `not measured (npm run bench -- ${flag})` });
  const rows = [
    ["end-to-end throughput vs direct single-call gRPC, same run", ">= 0.75x", fromSystem(/throughput.*direct|direct.*throughput/i)],
    ["end-to-end p99 at 2,000 req/s", "<= 2 ms", atIssueRate(system, fromSystem(/^e2e p99/i))],
    ["orchestrator CPU per request vs grpc-gateway for the same call", "<= 1.0x", fromSystem(/gateway/i)],
    ["Rust batch scoring per core vs the Go baseline", ">= 2x", fromSystem(/rust.*go.*(core|batch)/i)],
    ["goodput at 2x saturation vs peak", ">= 0.9", fromSystem(/^goodput/i)],
    ["shed latency (time to RESOURCE_EXHAUSTED), p99", "<= 1 ms", fromSystem(/^shed latency/i)],
    ["accepted p99 at 2x saturation vs unloaded p99", "<= 5x", fromSystem(/^accepted p99/i)],
    ["full-batch burst at the worker: calls neither scored nor shed", "= 0", fromSystem(/^burst/i)],
    ["model load memory vs file size", "linear, capped", fromSystem(/model.*(memory|rss|load)|load.*memory/i)],
    ["generation with git vs create-vite", "<= 3x", tool(results["generation (with git)"], 3)],
    ["cold validate vs cold build floor", "<= 1.5x", tool(results["cold validate"], 1.5) ?? notRun("--cold")],
  ];
  // What a bare net/http server leaves that target on the machine make bench ran on.
  const ceiling = system?.e2e_ceiling?.ceiling;
  if (ceiling) rows[0][2].value += ` (at most ${ceiling} on those cores: the HTTP floor's CPU, see bench/summary.txt)`;
  // The tool's own earlier targets (issue 5), kept beside the issue's table.
  const fp = results.footprint;
  rows.push(
    ["generation --no-git vs create-vite", "(info)", tool(results["generation --no-git"])],
    ["install footprint, MB (buf is not in it)", "<= 5", { value: (fp.installedBytes / 1e6).toFixed(2), met: fp.installedBytes <= 5e6 }],
    ["warm validate vs floor", "<= 1.3x", tool(results.validate, 1.3) ?? notRun("--validate")],
  );
  console.log("\ntargets");
  // Pinned or not changes what the system's rows mean (make bench's BENCH_PIN=1).
  if (system) console.log(`(system rows from ${values.system}: ${system.settings?.cpu_pinning ?? "pinning not recorded"})`);
  console.log(`${"figure".padEnd(74)} ${"target".padEnd(22)} ${"met".padEnd(8)} value`);
  for (const [name, target, r] of rows) {
    const met = r.met === undefined ? "-" : r.met ? "met" : "NOT MET";
    console.log(`${name.padEnd(74)} ${target.padEnd(22)} ${met.padEnd(8)} ${r.value}`);
  }
  results.targets = rows.map(([name, target, r]) => ({ name, target, value: r.value, met: r.met ?? null }));
}

try {
  generation(footprint(), values.against === undefined ? undefined : install(resolve(values.against), "against", false).cli);
  if (values.validate) warmValidate();
  if (values.cold) coldValidate();
  targetsTable();
  if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
