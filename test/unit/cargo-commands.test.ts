import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest, type ManifestInput } from "../../src/manifest.js";
import { CARGO_COMMANDS } from "../../src/render/cargo-commands.js";
import { CI_FILES, SHARED_JOB, ciJobs } from "../../src/render/ci-jobs.js";
import { SHARED_CRATES } from "../../src/render/components.js";
import { render, type FileTree } from "../../src/render/index.js";

/**
 * Validate leaves the dependencies its `cargo test` compiled in the repo's
 * workers/target, for `make test` to reuse (src/validate/rust-build.ts,
 * seedTarget): that holds only while the Makefile runs the same command,
 * and CI is held to the Makefile so a change to one reaches the other.
 * (test/e2e/rust-seed.test.ts proves the reuse with cargo itself.)
 */
const presets: [string, Partial<ManifestInput>][] = [
  ["one worker", {}],
  ["two workers, sqs", { orchestrator: { module: "example.com/shop/orchestrator", ingress: "sqs" }, workers: [{ name: "scorer" }, { name: "pricing" }] } as never],
];

const text = (tree: FileTree, path: string) => tree.get(path)!.content.toString("utf8");

/** The cargo commands of a Makefile target's recipe, without the `cd workers &&`. */
function recipe(makefile: string, target: string): string[] {
  const body = new RegExp(`^${target}:.*\\n((?:\\t.*\\n)+)`, "m").exec(makefile)?.[1];
  if (!body) throw new Error(`no ${target} target in the Makefile`);
  return [...body.matchAll(/\bcargo [^\n;&|]*/g)].map((m) => m[0].trim());
}

describe.each(presets)("the workers' cargo commands, %s", (_, input) => {
  const m = parseManifest({ name: "shop", orchestrator: { module: "example.com/shop/orchestrator" }, ci: { providers: ["github", "gitlab"] }, ...input });
  const tree = render(m);
  const makefile = text(tree, "Makefile");

  it("are the Makefile's build and test, the test the one validate runs", () => {
    expect(recipe(makefile, "build")).toEqual([CARGO_COMMANDS.build]);
    expect(recipe(makefile, "test")).toEqual([CARGO_COMMANDS.test]);
  });

  it("are what each worker's CI job runs, for that worker, and the shared crates' job tests them once", () => {
    const gh = parse(text(tree, CI_FILES.github)) as { jobs: Record<string, { steps: { run?: string }[] }> };
    const gl = parse(text(tree, CI_FILES.gitlab)) as Record<string, { script?: string[] }>;
    const shared = SHARED_CRATES.map((c) => `-p ${c}`).join(" ");
    const expected: [string, string[]][] = [
      [SHARED_JOB.name, [`${CARGO_COMMANDS.test} ${shared}`]],
      ...m.workers.map((w): [string, string[]] => [`rust-${w.name}`, [`${CARGO_COMMANDS.test} -p ${w.name}`]]),
    ];
    for (const [job, commands] of expected) {
      const github = gh.jobs[job]!.steps.flatMap((s) => (s.run ? [s.run.trim()] : []));
      const gitlab = gl[job]!.script!;
      for (const [provider, lines] of [["github", github], ["gitlab", gitlab]] as const) {
        const cargo = lines.filter((l) => /^cargo (test|build)\b/.test(l));
        expect(cargo, `${provider} ${job}`).toEqual(commands);
      }
    }
  });

  // `cargo clippy` is a check-only build: after `make build test` it type-checked
  // every dependency again (58 s). The Makefile lints in test's build instead.
  it("lint in the Makefile in test's own build, the CI jobs with the same clippy -D warnings", () => {
    expect(makefile).toContain(`\tcd workers && cargo fmt --check && ${CARGO_COMMANDS.lintRecipe}\n`);
    expect(CARGO_COMMANDS.lint).toContain(`else ${CARGO_COMMANDS.lintBuild}; fi`);
    expect(CARGO_COMMANDS.lintBuild.endsWith(`${CARGO_COMMANDS.test} --no-run`)).toBe(true);
    const gh = parse(text(tree, CI_FILES.github)) as { jobs: Record<string, { steps: { run?: string }[] }> };
    const gl = parse(text(tree, CI_FILES.gitlab)) as Record<string, { script?: string[] }>;
    const [clippy, rest] = [CARGO_COMMANDS.clippy.slice(0, "cargo clippy".length), CARGO_COMMANDS.clippy.slice("cargo clippy".length)];
    for (const job of [SHARED_JOB.name, ...m.workers.map((w) => `rust-${w.name}`)]) {
      const packages = job === SHARED_JOB.name ? SHARED_CRATES.map((c) => `-p ${c}`).join(" ") : `-p ${job.slice("rust-".length)}`;
      const lines = [...gh.jobs[job]!.steps.flatMap((s) => (s.run ? [s.run.trim()] : [])), ...gl[job]!.script!];
      expect(lines.filter((l) => l.startsWith("cargo clippy")), job).toEqual(Array(2).fill(`${clippy} ${packages}${rest}`));
    }
  });

  // The linted test build compiles every target `clippy --all-targets` checks but benches.
  it("give the workers no benches, which make lint's build would leave unlinted", () => {
    const workers = [...tree.keys()].filter((p) => p.startsWith("workers/"));
    expect(workers.filter((p) => /(^|\/)benches\//.test(p))).toEqual([]);
    for (const p of workers.filter((p) => p.endsWith("Cargo.toml"))) expect(text(tree, p), p).not.toMatch(/^\[\[bench\]\]/m);
  });

  // A release build in a worker's job compiled the tree a third time and passed nothing on.
  it("build every worker in release once a pipeline, in smoke's make build, which runs whenever a worker's job does", () => {
    expect(/^smoke: (.*)$/m.exec(makefile)?.[1]?.split(/\s+/)).toContain("build");
    const gh = parse(text(tree, CI_FILES.github)) as { jobs: Record<string, { steps: { run?: string }[] }> };
    const gl = parse(text(tree, CI_FILES.gitlab)) as Record<string, { script?: string[] }>;
    expect(gh.jobs.smoke!.steps.map((s) => s.run?.trim())).toContain("make smoke");
    expect(gl.smoke!.script).toContain("make smoke");
    const jobs = ciJobs(m);
    const smoke = jobs.find((j) => j.name === "smoke")!.reads!;
    const covered = (glob: string) => smoke.some((s) => s === glob || (s.endsWith("/**/*") && glob.startsWith(s.slice(0, -"**/*".length))));
    for (const job of jobs.filter((j) => j.name.startsWith("rust-"))) {
      expect(job.reads!.filter((g) => !covered(g)), job.name).toEqual([]);
    }
  });
});
