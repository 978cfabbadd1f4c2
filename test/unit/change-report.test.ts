import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { changeSteps } from "../../src/commands/next-steps.js";
import { INGRESS, TRANSPORTS, parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { BENCH_DIR, CARGO_TARGET, WORKER_LOGS } from "../../src/write/worker-leftovers.js";
import { builtApp, gitIn } from "../helpers/built-app.js";
import { SELF } from "../helpers/cli.js";
import { GENERATOR_VERSION } from "../../src/version.js";
import { runCli, tempDir } from "../helpers/cli.js";

/**
 * `add` and `remove` report counts, the files that need the user in full,
 * and what to type next (each a command that works in the changed repo);
 * --verbose lists every file. `remove worker` takes away what the repo's own
 * scripts and cargo made for the worker, and nothing else.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

// A remove run in a session with CARGO_TARGET_DIR set would (rightly) report it; these repos build in workers/target.
const env = { CARGO_TARGET_DIR: undefined };
let dir: string;
beforeEach(async () => {
  ({ dir } = await builtApp("chb-change-report-"));
});

const plant = (path: string, content = "built\n") => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
};
/** The command lines of a Next: section (notes are lines that do not start with a command). */
const commands = (stdout: string) =>
  stdout
    .slice(stdout.indexOf("\nNext:\n") + 7)
    .split("\n")
    .filter((l) => /^ {2}(make|cd) /.test(l))
    .map((l) => l.replace(/ +#.*$/, "").trim());

describe("add worker", () => {
  it("prints a summary and the next step, not a line per file; each printed make command exists in the repo", async () => {
    const add = await runCli(["add", "worker", "pricing"], dir, env);
    expect(add.exitCode, add.stderr).toBe(0);
    const lines = add.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^add worker pricing: \d+ updated, \d+ added, \d+ unchanged \(--verbose lists every file\)$/);
    expect(lines.length).toBeLessThan(10);
    expect(add.stdout).not.toMatch(/^ {2}(added|updated) /m);
    expect(add.stdout).toMatch(/WORKER_PRICING_ADDR \(127\.0\.0\.1:50052\)/);
    const next = commands(add.stdout);
    expect(next).toEqual(["make test smoke"]);
    // make -n: every target named exists in the generated Makefile, and make can plan the run (nothing is built).
    for (const command of next) execFileSync("make", ["-n", ...command.split(" ").slice(1)], { cwd: dir, stdio: "pipe" });
  });

  it("--verbose lists every file; a conflict is listed in full without it", async () => {
    const verbose = await runCli(["add", "worker", "pricing", "--verbose"], dir, env);
    expect(verbose.exitCode, verbose.stderr).toBe(0);
    expect(verbose.stdout).toMatch(/^ {2}added {8}workers\/pricing\/Cargo\.toml$/m);
    expect(verbose.stdout).not.toContain("--verbose lists");

    // Both sides change the worker list in the README: a conflict, which needs the user.
    const readme = join(dir, "README.md");
    writeFileSync(readme, readFileSync(readme, "utf8").replace(/^\| pricing .*$/m, "| pricing | edited by hand |"));
    const add = await runCli(["add", "worker", "fraud"], dir, env);
    expect(add.exitCode, add.stdout).toBe(3);
    expect(add.stdout).toMatch(/^ {2}conflict {5}README\.md/m);
    expect(add.stdout).not.toMatch(/^ {2}added /m);
    // The change is made, a file is left to the user: Next names it, how to resolve it, the
    // check that says it is done, and then the change's own steps (building before would build markers).
    const next = add.stdout.slice(add.stdout.indexOf("\nNext:\n") + 7).split("\n");
    expect(add.stdout).toContain("\nNext:\n");
    expect(next[0]).toBe("  resolve README.md: edit the <<<<<<< ======= >>>>>>> blocks down to the lines you want");
    expect(next[1]).toMatch(/ sync --check +# exits 0 once no conflict is left; then commit$/);
    expect(next[1]!.startsWith(`  ${SELF} sync --check `), next[1]).toBe(true);
    expect(commands(add.stdout)).toEqual(["make test smoke"]);
    // The steps are true: the check fails while the markers are there and passes once they are gone.
    const check = () => runCli(["sync", "--check"], dir, env);
    expect((await check()).exitCode).toBe(3);
    const ours = readFileSync(readme, "utf8").replace(/^<<<<<<< .*\n([\s\S]*?)^(?:\|\|\|\|\|\|\| [\s\S]*?)?^=======\n[\s\S]*?^>>>>>>> .*\n/gm, "$1");
    writeFileSync(readme, ours);
    const after = await check();
    expect(after.exitCode, after.stdout).toBe(0);
  });

  it("lists a file it merged into your edits without --verbose, so you can review it", async () => {
    // An edit away from the worker table the add changes: merged cleanly, and named.
    const readme = join(dir, "README.md");
    writeFileSync(readme, `${readFileSync(readme, "utf8")}\nOur own notes.\n`);
    const add = await runCli(["add", "worker", "pricing"], dir, env);
    expect(add.exitCode, add.stdout).toBe(0);
    expect(add.stdout).toMatch(/^add worker pricing: 1 merged, /);
    expect(add.stdout).toMatch(/^ {2}merged {7}README\.md$/m);
    expect(add.stdout).toContain("git diff");
    expect(readFileSync(readme, "utf8")).toContain("Our own notes.");
  });

  it.each(INGRESS.flatMap((ingress) => TRANSPORTS.map((transport) => [ingress, transport] as const)))(
    "%s, %s: the steps of add and remove name only targets of the generated Makefile",
    (ingress, transport) => {
      const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress }, workers: [{ name: "scorer", transport }, { name: "pricing", transport }] });
      const makefile = render(m).get("Makefile")!.content.toString("utf8");
      const targets = new Set([...makefile.matchAll(/^([a-z][\w-]*):/gm)].map((match) => match[1]!));
      const steps = [...changeSteps("add", "worker", "pricing", m, "."), ...changeSteps("remove", "worker", "scorer", { ...m, workers: m.workers.slice(1) }, "sub dir")];
      const words = steps.flatMap((l) => /^ {2}make ([^#]+)/.exec(l)?.[1]!.trim().split(/\s+/) ?? []);
      expect(words.length).toBeGreaterThan(0);
      for (const word of words) expect(targets, `make ${word}`).toContain(word);
      expect(steps).toContain("  cd 'sub dir'");
    },
  );
});

describe("a change that leaves a conflict says how to finish it, then what the change needs", () => {
  it("names each file, the way to resolve it (markers or FILE.generated), and the check", () => {
    const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress: "sqs" } });
    const conflicts = [{ path: "README.md", beside: false }, { path: "docs/logo.png", beside: true }];
    const steps = changeSteps("remove", "ci", "github", m, "sub dir", conflicts);
    expect(steps.slice(0, 4)).toEqual([
      "  cd 'sub dir'",
      "  resolve README.md: edit the <<<<<<< ======= >>>>>>> blocks down to the lines you want",
      "  resolve docs/logo.png: take what you need from docs/logo.png.generated into it, then delete docs/logo.png.generated",
      expect.stringMatching(new RegExp(`^ {2}npx create-hybrid-backend@${GENERATOR_VERSION.replace(/\\./g, "\\\\.")} sync --check +# exits 0 once no conflict is left; then commit$`)),
    ]);
    expect(steps.at(-1)).toBe("  .github/workflows/ci.yml is gone: github runs no pipeline for this repo on the next push");
    expect(changeSteps("remove", "ci", "github", m, ".")).not.toContainEqual(expect.stringContaining("sync --check"));
  });
});

describe("add worker's next step says where smoke sends the vectors", () => {
  // Under a queue ingress the consumer calls the primary alone: smoke's vectors never reach an added worker.
  it.each(INGRESS)("%s", (ingress) => {
    const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress }, workers: [{ name: "scorer" }, { name: "pricing" }] });
    const smoke = changeSteps("add", "worker", "pricing", m, ".").find((l) => l.startsWith("  make test smoke"))!;
    if (ingress === "http") {
      expect(smoke).toContain("through the orchestrator into each");
    } else {
      expect(smoke).not.toContain("into each");
      expect(smoke).toContain("into scorer, the primary: nothing sends pricing work until you route it");
      const readme = render(m).get("README.md")!.content.toString("utf8");
      expect(readme).toContain("nothing sends them work");
    }
  });
});

describe("add and remove ci", () => {
  it("say which pipeline file the change wrote or removed", () => {
    const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator" } });
    expect(changeSteps("add", "ci", "gitlab", m, ".")).toEqual(["  commit .gitlab-ci.yml: gitlab runs the pipeline on the next push"]);
    expect(changeSteps("remove", "ci", "github", m, ".")).toEqual(["  .github/workflows/ci.yml is gone: github runs no pipeline for this repo on the next push"]);
  });

  // sync keeps a no-longer-generated file the user edited, so the pipeline file of a removed provider may still be there.
  it("remove says the pipeline file is still there, and still runs, when sync kept it for your edit", async () => {
    const file = ".github/workflows/ci.yml";
    const addCi = await runCli(["add", "ci", "gitlab"], dir, env);
    expect(addCi.exitCode, addCi.stderr).toBe(0);
    writeFileSync(join(dir, file), readFileSync(join(dir, file), "utf8") + "# ours\n");
    const remove = await runCli(["remove", "ci", "github"], dir, env);
    expect(remove.exitCode, remove.stderr).toBe(0);
    expect(existsSync(join(dir, file))).toBe(true);
    expect(remove.stdout).toMatch(/^ {2}kept {9}\.github\/workflows\/ci\.yml$/m);
    expect(remove.stdout).not.toContain("is gone");
    expect(remove.stdout).toContain(`\nNext:\n  ${file} is still there (you edited it, so it was kept): github runs it on the next push until you delete it`);
  });
});

describe("remove worker", () => {
  beforeEach(async () => {
    const add = await runCli(["add", "worker", "pricing"], dir, env);
    expect(add.exitCode, add.stderr).toBe(0);
    gitIn(dir, "add", "-A");
    gitIn(dir, "commit", "-qm", "add pricing");
  });

  // What make build/test/smoke/run/bench leave for pricing (cargo's names for its crate targets), and for the others.
  const ours = [
    ".run/pricing.log",
    ".smoke/pricing.log",
    `${CARGO_TARGET}/release/pricing`,
    `${CARGO_TARGET}/release/pricing.d`,
    `${CARGO_TARGET}/release/libpricing.rlib`,
    `${CARGO_TARGET}/release/deps/pricing-0123456789abcdef`,
    `${CARGO_TARGET}/release/deps/libpricing-0123456789abcdef.rmeta`,
    `${CARGO_TARGET}/release/examples/pricing_bench_model`,
    `${CARGO_TARGET}/release/.fingerprint/pricing-0123456789abcdef/bin-pricing`,
    `${CARGO_TARGET}/release/build/pricing-0123456789abcdef/output`,
    `${CARGO_TARGET}/debug/deps/pricing_grpc-0123456789abcdef`,
    `${CARGO_TARGET}/debug/.fingerprint/pricing-fedcba9876543210/lib-pricing`,
    `${CARGO_TARGET}/debug/incremental/pricing-0123456789abcdef/s-1/dep-graph.bin`,
  ];
  const theirs = [
    ".run/scorer.log",
    ".run/pricing-notes.txt", // not a name run.sh writes
    `${CARGO_TARGET}/release/scorer`,
    `${CARGO_TARGET}/release/.fingerprint/scorer-0123456789abcdef/bin-scorer`,
    `${CARGO_TARGET}/release/deps/libpricingx-0123456789abcdef.rlib`, // another crate's
    `${CARGO_TARGET}/release/deps/libtokio-0123456789abcdef.rlib`,
    `${CARGO_TARGET}/release/pricing.txt.bak`, // not a name cargo gives
    `${CARGO_TARGET}/notes/pricing`, // not a profile folder
    `${BENCH_DIR}/pricing.log`, // a bench run's record
  ];

  it("says the worker's folder still holds the files you edited, when sync kept them", async () => {
    writeFileSync(join(dir, "workers/pricing/src/main.rs"), readFileSync(join(dir, "workers/pricing/src/main.rs"), "utf8") + "// ours\n");
    const remove = await runCli(["remove", "worker", "pricing"], dir, env);
    expect(remove.exitCode, remove.stderr).toBe(0);
    expect(existsSync(join(dir, "workers/pricing/src/main.rs"))).toBe(true);
    expect(remove.stdout).toContain(
      "\n  workers/pricing/ still holds the file you edited (kept, above), outside the Cargo workspace: nothing builds it; delete workers/pricing/ once you no longer need it",
    );
    // Without a kept file there is no such note.
    const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator" } });
    expect(changeSteps("remove", "worker", "pricing", m, ".", [], ["workers/scorer/src/main.rs"]).join("\n")).not.toContain("still holds");
  });

  it("removes the worker's build output and logs, reports a bench run's, and leaves everything else", async () => {
    [...ours, ...theirs].forEach((path) => plant(path));
    const remove = await runCli(["remove", "worker", "pricing"], dir, env);
    expect(remove.exitCode, remove.stderr).toBe(0);
    for (const path of ours) expect(existsSync(join(dir, path)), path).toBe(false);
    for (const path of theirs) expect(existsSync(join(dir, path)), path).toBe(true);
    expect(remove.stdout).toMatch(/^ {2}removed pricing's build output and logs \(13\): \.run\/ \(1\), \.smoke\/ \(1\), workers\/target\/debug\/ \(3\), workers\/target\/release\/ \(8\)$/m);
    expect(remove.stdout).toMatch(/^ {2}left {9}bench\/pricing\.log {2}\(a log of an earlier make bench, kept with that run's results\)$/m);
    expect(remove.stdout).not.toMatch(/^ {2}removed {6}/m);
    expect(remove.stdout).toMatch(/^ {2}left {9}docker image app-pricing, if make docker or make up built it \(docker compose down --remove-orphans, then docker image rm app-pricing\)$/m);
    expect(remove.stdout).toMatch(/\nNext:\n {2}make test smoke +# rebuild and test the workers left: scorer\n/);
    for (const command of commands(remove.stdout)) execFileSync("make", ["-n", ...command.split(" ").slice(1)], { cwd: dir, stdio: "pipe" });
    // Nothing it removed was tracked by git.
    expect(gitIn(dir, "status", "--porcelain")).not.toMatch(/^ D (\.run|\.smoke|workers\/target)/m);
  });

  it("--dry-run says what it would remove and removes nothing; --verbose lists each; a linked target folder is not followed", async () => {
    ours.forEach((path) => plant(path));
    const dry = await runCli(["remove", "worker", "pricing", "--dry-run"], dir, env);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^ {2}would remove pricing's build output and logs \(13\)/m);
    for (const path of ours) expect(existsSync(join(dir, path)), path).toBe(true);

    const elsewhere = tempDir("chb-change-target-");
    plant(".run/keep");
    execFileSync("mv", [join(dir, CARGO_TARGET), join(elsewhere, "target")]);
    symlinkSync(join(elsewhere, "target"), join(dir, CARGO_TARGET));
    const remove = await runCli(["remove", "worker", "pricing", "--verbose"], dir, env);
    expect(remove.exitCode, remove.stderr).toBe(0);
    expect(remove.stdout).toMatch(/^ {2}removed {6}\.run\/pricing\.log$/m);
    expect(remove.stdout).toMatch(/^ {2}removed {6}workers\/pricing\/Cargo\.toml$/m);
    expect(existsSync(join(elsewhere, "target", "release", "pricing"))).toBe(true);
    expect(existsSync(join(dir, ".run", "keep"))).toBe(true);
  });

  it("reports a CARGO_TARGET_DIR it leaves alone", async () => {
    const remove = await runCli(["remove", "worker", "pricing"], dir, { CARGO_TARGET_DIR: "/tmp/shared-target" });
    expect(remove.exitCode, remove.stderr).toBe(0);
    expect(remove.stdout).toMatch(/^ {2}left {9}\/tmp\/shared-target {2}\(CARGO_TARGET_DIR: /m);
  });
});

describe("the logs the generated scripts write per worker", () => {
  // The kind: a script that starts writing another per-worker file must be met by remove. Every redirection or tee
  // in the rendered scripts that names a worker (or run.sh's $name) goes to a folder remove knows.
  it("all go to a folder remove worker clears (or reports, for bench)", () => {
    const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator" }, workers: [{ name: "scorer" }, { name: "pricing" }] });
    const tree = render(m);
    const scripts = [...tree].filter(([path]) => path.startsWith("scripts/") || path === "Makefile");
    const found: string[] = [];
    // The scripts source one another (run.sh makes $ended, supervise.sh writes into it): read as one.
    const all = scripts.map(([, entry]) => entry.content.toString("utf8")).join("\n");
    // Outside the repo: a folder of this run's own, made (mktemp -d) and removed by the scripts.
    const ownTemp = (target: string) => {
      const v = /^\$\{?(\w+)\}?\//.exec(target)?.[1];
      return v !== undefined && new RegExp(`\\b${v}=\\$\\(mktemp -d\\)`).test(all) && all.includes(`rm -rf "$${v}"`);
    };
    for (const [path, entry] of scripts) {
      const text = entry.content.toString("utf8");
      for (const match of text.matchAll(/(?:>|\btee )\s*"?([^\s"&;|)]+)/g)) {
        const target = match[1]!;
        if (/pricing|\$name\b|\$\{?name\}?/.test(target) && !ownTemp(target)) found.push(`${path}: ${target}`);
      }
    }
    expect(found.length).toBeGreaterThan(0);
    const known = [...WORKER_LOGS.map((folder) => new RegExp(`^${folder.replace(".", "\\.")}/(pricing|\\$name)\\.log$`)), new RegExp(`^${BENCH_DIR}/pricing\\$1\\.log$`)];
    for (const line of found) {
      const target = line.slice(line.indexOf(": ") + 2);
      expect(known.some((re) => re.test(target)), line).toBe(true);
    }
  });
});

describe("--verbose on create", () => {
  it("lists every file created after the count; without it, only the count", async () => {
    const cwd = tempDir("chb-create-verbose-");
    const plain = await runCli(["plain", "--yes", "--no-validate", "--no-git"], cwd);
    expect(plain.stdout).not.toMatch(/^ {2}Makefile$/m);
    const verbose = await runCli(["app", "--yes", "--no-validate", "--no-git", "--verbose"], cwd);
    expect(verbose.exitCode, verbose.stderr).toBe(0);
    const count = Number(/^Created app \((\d+) files\)\.$/m.exec(verbose.stdout)?.[1]);
    expect(verbose.stdout).toMatch(/^ {2}Makefile$/m);
    expect(verbose.stdout).toMatch(/^ {2}\.hybrid-backend\/ledger\.json$/m);
    const listed = verbose.stdout.slice(0, verbose.stdout.indexOf("\nNext:")).split("\n").slice(1).filter(Boolean);
    expect(listed).toHaveLength(count);
  });
});
