import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest, type ManifestInput } from "../../src/manifest.js";
import { CI_FILES } from "../../src/render/ci-jobs.js";
import { render } from "../../src/render/index.js";

/**
 * Every CI job that compiles keeps its language's build cache, on both
 * providers: GitLab's smoke job had only the Go cache (`extends` takes the
 * last template's `cache` whole), so each pipeline compiled every worker's
 * release tree from nothing while GitHub's smoke kept Cargo's. What a job
 * compiles is read from its own commands.
 */
const presets: [string, Partial<ManifestInput>][] = [
  ["http", {}],
  ["sqs, two workers", { orchestrator: { module: "example.com/shop/orchestrator", ingress: "sqs" }, workers: [{ name: "scorer" }, { name: "pricing" }] } as never],
  ["kinesis, uds", { orchestrator: { module: "example.com/shop/orchestrator", ingress: "kinesis" }, workers: [{ name: "scorer", transport: "uds" }] } as never],
];

/** Commands that compile Rust or Go, and the Makefile targets that run them. */
const COMPILES = {
  rust: /^(cd workers && )?cargo (build|test|clippy)\b|^make (smoke|build|test|bench)\b/,
  go: /^(cd orchestrator && )?go (build|test|vet)\b|^make (smoke|build|test|bench)\b/,
};

type GitLabJob = { extends?: string | string[]; script?: string[]; cache?: GitLabCache | GitLabCache[] };
type GitLabCache = { paths?: string[] };

/** The cache paths a GitLab job ends up with: its own `cache`, else the last template's that has one. */
function gitlabCachePaths(file: Record<string, GitLabJob>, job: GitLabJob): string[] {
  let cache = job.cache;
  if (cache === undefined) {
    const parents = [job.extends ?? []].flat();
    for (const p of parents.reverse()) {
      const paths = gitlabCachePaths(file, file[p]!);
      if (paths.length) return paths;
    }
    return [];
  }
  return [cache].flat().flatMap((c) => c.paths ?? []);
}

describe.each(presets)("CI build caches, %s", (_, input) => {
  const m = parseManifest({ name: "shop", orchestrator: { module: "example.com/shop/orchestrator" }, ci: { providers: ["github", "gitlab"] }, ...input });
  const tree = render(m);
  const text = (path: string) => tree.get(path)!.content.toString("utf8");

  it("GitLab: a job that compiles Rust keeps Cargo's registry and target; one that compiles Go keeps its module and build caches", () => {
    const file = parse(text(CI_FILES.gitlab)) as Record<string, GitLabJob>;
    const checked: string[] = [];
    for (const [name, job] of Object.entries(file)) {
      if (name.startsWith(".") || !Array.isArray(job.script)) continue;
      const lines = job.script.map((l) => String(l).trim());
      const paths = gitlabCachePaths(file, job);
      if (lines.some((l) => COMPILES.rust.test(l))) {
        expect(paths, `${name}: ${lines.join("; ")}`).toEqual(expect.arrayContaining([".cache/cargo/registry", "workers/target"]));
        checked.push(`${name}:rust`);
      }
      if (lines.some((l) => COMPILES.go.test(l))) {
        expect(paths, name).toEqual(expect.arrayContaining([".cache/go/pkg/mod", ".cache/go-build"]));
        checked.push(`${name}:go`);
      }
    }
    expect(checked).toEqual(expect.arrayContaining(["go:go", "smoke:rust", "smoke:go", ...m.workers.map((w) => `rust-${w.name}:rust`)]));
  });

  it("GitHub: a job that compiles Rust uses rust-cache; one that compiles Go, setup-go with its cache", () => {
    type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
    const file = parse(text(CI_FILES.github)) as { jobs: Record<string, { steps?: Step[]; defaults?: { run?: { "working-directory"?: string } } }> };
    const checked: string[] = [];
    for (const [name, job] of Object.entries(file.jobs)) {
      const steps = job.steps ?? [];
      const lines = steps.flatMap((s) => (s.run ? s.run.trim().split("\n").map((l) => l.trim()) : []));
      const uses = (action: string) => steps.find((s) => s.uses?.startsWith(`${action}@`));
      if (lines.some((l) => COMPILES.rust.test(l))) {
        expect(uses("Swatinem/rust-cache"), name).toBeDefined();
        checked.push(`${name}:rust`);
      }
      if (lines.some((l) => COMPILES.go.test(l))) {
        const setup = uses("actions/setup-go");
        expect(setup, name).toBeDefined();
        expect(setup!.with?.cache, name).not.toBe(false);
        checked.push(`${name}:go`);
      }
    }
    expect(checked).toEqual(expect.arrayContaining(["go:go", "smoke:rust", "smoke:go", ...m.workers.map((w) => `rust-${w.name}:rust`)]));
  });
});
