// Tool-side benchmarks (issue 5, first part): prints medians and ratios
// against baselines measured in the same run, alternating the two sides so
// machine noise hits both alike. Not a test: it asserts nothing.
//   generation  `create-hybrid-backend DIR --yes --no-validate` vs `create-vite --template vanilla-ts`
//   footprint   npm pack tarball and what `npm install` of it brings
//   validate    warm `validate` (unchanged tree: checks replayed, smoke live) and
//               `validate --no-cache` vs the floor: `go build ./...` + `cargo build` of the same tree
//   system      the generated default preset's own `make bench` (throughput, latency, memory,
//               Rust vs Go scoring per core) and its targets table
// Usage: npm run bench [-- --runs N]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const CREATE_VITE = "create-vite@9.3.0";
const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
const runs = Number(values.runs);
const cli = join(process.cwd(), "dist", "cli.js");
const work = mkdtempSync(join(tmpdir(), "chb-bench-"));
const results = {};

function time(cmd, args, opts = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: "ignore", ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function report(name, ours, base, baseName) {
  const row = { medianMs: Math.round(median(ours)), baselineMs: Math.round(median(base)), ratio: +(median(ours) / median(base)).toFixed(2) };
  results[name] = { ...row, baseline: baseName, runs: ours.length };
  console.log(`${name.padEnd(20)} ${String(row.medianMs).padStart(7)} ms   ${baseName}: ${row.baselineMs} ms   ratio ${row.ratio}×`);
}
function du(dir) {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) bytes += statSync(join(e.parentPath, e.name)).size;
  return bytes;
}

try {
  // Generation, alternated with create-vite run from a local install (no npx resolution in the loop).
  const vite = join(work, "vite-tool");
  execFileSync("npm", ["install", "--prefix", vite, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", CREATE_VITE]);
  const viteBin = join(vite, "node_modules", "create-vite", "index.js");
  const ours = [];
  const theirs = [];
  for (let i = 0; i < runs; i++) {
    ours.push(time("node", [cli, join(work, `gen-${i}`), "--yes", "--no-validate", "--no-git"]));
    theirs.push(time("node", [viteBin, join(work, `vite-${i}`), "--template", "vanilla-ts", "--no-interactive"]));
  }
  report("generation", ours, theirs, "create-vite");

  // Footprint of what `npm create` downloads and installs.
  const pack = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", work], { encoding: "utf8" }))[0];
  const proj = join(work, "install");
  mkdirSync(proj);
  execFileSync("npm", ["init", "-y"], { cwd: proj, stdio: "ignore" });
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", join(work, pack.filename)], { cwd: proj });
  results.footprint = { tarballBytes: statSync(join(work, pack.filename)).size, installedBytes: du(join(proj, "node_modules")) };
  console.log(`footprint    tarball ${(results.footprint.tarballBytes / 1e6).toFixed(2)} MB, installed ${(results.footprint.installedBytes / 1e6).toFixed(2)} MB`);

  // Warm validate against the floor of building the same tree, alternated.
  // "validate": the tree is unchanged since the last pass, so the checks are
  // replayed and doctor + the live smoke test run; "--no-cache" reruns every
  // check (go and cargo caches warm), which is what an edit costs at most.
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

  console.log("\ntool targets                                value  target      met");
  const tool = [
    ["generation time vs create-vite", results.generation.ratio, "<= 3x", results.generation.ratio <= 3],
    ["install footprint, MB (buf is not in it)", +(results.footprint.installedBytes / 1e6).toFixed(2), "<= 5", results.footprint.installedBytes <= 5e6],
    ["warm validate vs floor", results.validate.ratio, "<= 1.3x", results.validate.ratio <= 1.3],
    ["warm validate, s", +(results.validate.medianMs / 1000).toFixed(2), "<= 30", results.validate.medianMs <= 30_000],
    ["warm validate --no-cache vs floor", results["validate --no-cache"].ratio, "(info)", true],
  ];
  for (const [name, value, target, met] of tool) console.log(`${name.padEnd(42)} ${String(value).padStart(7)}  ${target.padEnd(10)}  ${met ? "yes" : "NO"}`);
  results.toolTargets = tool.map(([name, value, target, met]) => ({ name, value, target, met }));

  // The generated system's own figures: the default preset's `make bench`
  // (its loadgen takes medians over BENCH_RUNS itself) and the targets table.
  const sys = join(work, "system");
  execFileSync("node", [cli, sys, "--yes", "--no-validate", "--no-git"]);
  execFileSync("make", ["bench"], { cwd: sys, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, BENCH_RUNS: String(Math.min(runs, 3)) } });
  results.system = JSON.parse(readFileSync(join(sys, "bench", "results.json"), "utf8"));
  console.log(`\n${readFileSync(join(sys, "bench", "summary.txt"), "utf8")}`);
  console.log("system targets                              value  target  met");
  for (const t of results.system.targets) console.log(`${t.name.padEnd(42)} ${String(t.value).padStart(7)}  ${t.target.padEnd(6)}  ${t.met ? "yes" : "NO"}`);
  console.log(JSON.stringify(results));
} finally {
  rmSync(work, { recursive: true, force: true });
}
