import type { Manifest } from "../manifest.js";
import { SHARED_CRATES, WORKERS_DIR } from "./components.js";

/**
 * The CI jobs both providers run and, for each, what its commands read. The
 * GitHub path filters and GitLab's `rules: changes` are rendered from this one
 * table, so a job runs whenever a file it builds from changes, and the two
 * providers cannot drift apart (test/unit/ci-jobs.test.ts holds the generated
 * files to it, and it to the files the jobs' commands really use).
 *
 * The filters apply to pull and merge requests only. On the default branch,
 * which publishes, every job runs on every commit: filtered there, a commit
 * after a failed one (a README edit) would skip the failed check and publish
 * the code it failed on.
 *
 * Globs keep to the forms that dorny/paths-filter (picomatch, dot: true) and
 * GitLab (Ruby File.fnmatch, FNM_PATHNAME | FNM_DOTMATCH) read alike: a
 * literal path, `DIR/**\/*` for everything below DIR, and `*` within one
 * path segment. (GitLab reads a bare `DIR/**` as `DIR/*`.)
 */
export interface CiJob {
  /** Job name in both providers. */
  name: string;
  /** GitHub filter and `changes` output key (an expression identifier: no hyphen). */
  key: string;
  /** Globs of every file the job reads, besides the CI file itself (a request's filter); null: runs in every pipeline. */
  reads: string[] | null;
  /** Why it runs when it does, for the reader of this table. */
  why: string;
  /**
   * Its timeout in minutes (GitHub `timeout-minutes`, GitLab `timeout`), so a
   * hung build or smoke fails instead of holding a runner for the provider's
   * default (6 h on GitHub). About twice a cold run on a hosted runner
   * (2-4 cores, no cache), sized per job below.
   */
  minutes: number;
}

const PROTO = ["proto/**/*"];
const TESTDATA = ["testdata/**/*"];
/** Cargo loads every member's manifest to resolve the workspace; every crate builds on the shared ones, whose build.rs compiles proto/. */
const WORKSPACE = [`${WORKERS_DIR}/Cargo.toml`, `${WORKERS_DIR}/Cargo.lock`, `${WORKERS_DIR}/*/Cargo.toml`, ...SHARED_CRATES.map((c) => `${WORKERS_DIR}/${c}/**/*`), ...PROTO, ...TESTDATA];
/** The job that checks the shared crates, once for all workers: hyphenated, so no rust-NAME job can take its name. */
export const SHARED_JOB = { name: "rust-worker-kit", key: "rust_worker_kit" } as const;

export function ciJobs(m: Manifest): CiJob[] {
  const jobs: CiJob[] = [
    {
      name: "proto",
      key: "proto",
      reads: [...PROTO, "buf.yaml", "buf.gen.yaml", "orchestrator/gen/**/*", "orchestrator/go.mod", "orchestrator/go.sum"],
      why: "buf lint, format and breaking on the contract; buf generate against the committed Go stubs",
      // An npm or go install of buf and seconds of linting and generating.
      minutes: 10,
    },
    {
      name: "go",
      key: "go",
      // The Go baseline's tests read the first worker's model (its compiled copy must be in step).
      reads: ["orchestrator/**/*", ...TESTDATA, `${WORKERS_DIR}/${m.workers[0]!.name}/model/model.json`],
      why: "gofmt, vet, staticcheck, tidy, race tests (which read testdata/vectors.json and the first worker's model) and build",
      // Compiling staticcheck and the race-instrumented tests cold take most of it.
      minutes: 20,
    },
    {
      ...SHARED_JOB,
      reads: WORKSPACE,
      why: `cargo fmt, clippy and test of ${SHARED_CRATES.join(" and ")}, which every worker builds on`,
      // The same dependency tree as a worker's job, compiled twice (clippy, test) with no release build.
      minutes: 30,
    },
    ...m.workers.map((w) => ({
      name: `rust-${w.name}`,
      key: `rust_${w.name}`,
      reads: [`${WORKERS_DIR}/${w.name}/**/*`, ...WORKSPACE],
      // No release build here: smoke's `make build` builds every worker in
      // release, and smoke reads all that this job reads, so it runs whenever
      // this one does (test/unit/cargo-commands.test.ts holds that).
      why: `cargo fmt, clippy and test of ${w.name}`,
      // tonic, prost and tokio compile twice over (clippy, test): ~7 min cold.
      minutes: 30,
    })),
    {
      name: "smoke",
      key: "smoke",
      reads: ["Makefile", "scripts/**/*", "orchestrator/**/*", `${WORKERS_DIR}/**/*`, ...PROTO, ...TESTDATA],
      why: "make smoke: the Makefile builds everything, scripts/ start and stop it, the vectors go through",
      // A rustup install, the Go and every worker's release build cold, then seconds of vectors.
      minutes: 30,
    },
  ];
  if (m.deploy.includes("kubernetes")) {
    jobs.push({
      name: "deploy",
      key: "deploy",
      // setup-go reads orchestrator/go.mod for the Go that installs the tools.
      reads: ["deploy/**/*", "orchestrator/go.mod"],
      why: "deploy/kubernetes/check.sh: kustomize builds every overlay, kubeconform checks the output strictly (Kubernetes and KEDA schemas)",
      // Two go installs cold, then seconds of building and validating.
      minutes: 10,
    });
  }
  if (m.docker) {
    jobs.push({
      name: "images",
      key: "images",
      // Each image's Dockerfile, build context and .dockerignore (see ciImages).
      reads: ["orchestrator/**/*", `${WORKERS_DIR}/**/*`, ...PROTO, ".dockerignore"],
      why: "builds every image, so a broken Dockerfile fails the change that broke it",
      // One image per job: a worker's release build inside Docker without Cargo's cache is the longest.
      minutes: 30,
    });
  }
  jobs.push(
    {
      name: "audit",
      key: "audit",
      reads: null,
      why: "govulncheck and cargo-deny: advisories are published without any file changing",
      // cargo install of cargo-deny when its cache is cold (~6 min), govulncheck in a minute.
      minutes: 20,
    },
    {
      name: "sync",
      key: "sync",
      reads: null,
      why: "sync --check compares every generated file with hybrid-backend.json",
      // npx fetches the generator and renders: a minute or two.
      minutes: 10,
    },
  );
  return jobs;
}

/**
 * Timeouts of the jobs outside the table, which run no check of their own:
 * GitHub's `changes` (a checkout and the API's file list) and `publish` (loads
 * the tested images, pushes and attests them: network, no build).
 */
const SUPPORT_MINUTES = { changes: 5, publish: 20 } as const;

/** Every job's timeout in minutes, by job name, on both providers. */
export function ciTimeouts(m: Manifest): Record<string, number> {
  return { ...Object.fromEntries(ciJobs(m).map((j) => [j.name, j.minutes])), ...SUPPORT_MINUTES };
}

/** A Rust job's commands, for the CI templates: which packages it checks. */
export interface RustJob {
  name: string;
  key: string;
  /** rust-cache's key: the job's own target folder. */
  cacheKey: string;
  /** Cargo's package selection, `-p A -p B`. */
  packages: string;
}

export function rustJobs(m: Manifest): RustJob[] {
  return [
    { ...SHARED_JOB, cacheKey: "worker-kit", packages: SHARED_CRATES.map((c) => `-p ${c}`).join(" ") },
    ...m.workers.map((w) => ({ name: `rust-${w.name}`, key: `rust_${w.name}`, cacheKey: w.name, packages: `-p ${w.name}` })),
  ];
}

/** One image the CI builds, and pushes from the default branch. */
export interface CiImage {
  name: string;
  /** Build context, relative to the repo root. */
  context: string;
  dockerfile: string;
}

export function ciImages(m: Manifest): CiImage[] {
  if (!m.docker) return [];
  return [
    { name: "orchestrator", context: "orchestrator", dockerfile: "orchestrator/Dockerfile" },
    ...m.workers.map((w) => ({ name: w.name, context: ".", dockerfile: `${WORKERS_DIR}/${w.name}/Dockerfile` })),
  ];
}

/** The CI file of each provider: every job reads it (it holds the job's commands). */
export const CI_FILES = { github: ".github/workflows/ci.yml", gitlab: ".gitlab-ci.yml" } as const;

/** A job's globs for one provider: what it reads, then that provider's CI file. */
export function jobPaths(job: CiJob, provider: keyof typeof CI_FILES): string[] {
  if (!job.reads) throw new Error(`CI job ${job.name} runs in every pipeline: it has no path filter`);
  return [...job.reads, CI_FILES[provider]];
}

/** How the README names a CI's requests and the branch that publishes. */
export interface CiWords {
  /** One request: "pull request", "merge request", or "pull or merge request". */
  request: string;
  /** Requests in general: "pull requests", "merge requests", or "pull and merge requests". */
  requests: string;
  /** The pipelines a request starts, at the head of a sentence. */
  requestPipelines: string;
  /** The branch that runs every job and publishes, as the CI files name it. */
  branch: string;
}

/**
 * The README's CI wording in the terms of the providers the repo has: GitHub
 * has pull requests and workflow runs, GitLab merge requests and pipelines. The
 * branch is what each file really names: GitHub's workflow `main`, literally
 * (its `on: push: branches` takes no expression), GitLab's `$CI_DEFAULT_BRANCH`,
 * whatever the project's default branch is called.
 */
export function ciWords(m: Manifest): CiWords {
  const github = m.ci.providers.includes("github");
  const gitlab = m.ci.providers.includes("gitlab");
  if (github && gitlab) {
    return { request: "pull or merge request", requests: "pull and merge requests", requestPipelines: "Pull- and merge-request pipelines", branch: "`main` (on GitLab, the default branch)" };
  }
  if (gitlab) return { request: "merge request", requests: "merge requests", requestPipelines: "Merge-request pipelines", branch: "the default branch" };
  return { request: "pull request", requests: "pull requests", requestPipelines: "Pull-request runs", branch: "`main`" };
}
