import * as z from "zod";
import { isPlainObject } from "./plain-object.js";

/**
 * What the manifest pins outside the code: the GitHub Actions the workflow
 * uses (by commit) and the base images (by digest), with their defaults.
 * Kept apart from manifest.ts, which holds the project's own choices.
 */

/**
 * GitHub Actions the generated workflow uses, pinned to a commit (a moved tag
 * cannot change CI); the tag is kept for people. Bump both here, then sync.
 */
const actionPin = z.strictObject({
  sha: z.string().regex(/^[0-9a-f]{40}$/, { message: "use the full 40-character commit SHA of the release" }),
  version: z.string().regex(/^v\d+(\.\d+){0,2}$/, { message: "use the release tag, for example v5.0.0" }),
});
const pin = (sha: string, version: string) => actionPin.default({ sha, version });
export const ACTIONS = z
  .strictObject({
    "actions/checkout": pin("08c6903cd8c0fde910a37f88322edcfb5dd907a8", "v5.0.0"),
    "actions/setup-go": pin("44694675825211faa026b3c33043df3e48a5fa00", "v6.0.0"),
    "dorny/paths-filter": pin("de90cc6fb38fc0963ad72b210f1f284cd68cea36", "v3.0.2"),
    "Swatinem/rust-cache": pin("98c8021b550208e191a6a3145459bfc9fb29c4c0", "v2.8.0"),
    // Image build, push and attestation (the images and publish jobs).
    "docker/setup-buildx-action": pin("37fe631027851001ddb9b187196cc803df7f5f0e", "v4.3.0"),
    "docker/build-push-action": pin("53b7df96c91f9c12dcc8a07bcb9ccacbed38856a", "v7.3.0"),
    "docker/login-action": pin("4907a6ddec9925e35a0a9e82d7399ccc52663121", "v4.1.0"),
    // The images job hands the images it built to publish, which pushes them unchanged.
    "actions/upload-artifact": pin("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": pin("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
    "actions/attest": pin("1e69f48acb82d1966a394da916b4c1698aa569d6", "v4.2.2"),
  });

/**
 * Everything the Dockerfiles and the CI files pull by name, pinned by digest
 * so a moved tag cannot change a build: images by the digest of their
 * multi-arch index (the tag kept for people and for Dependabot or Renovate),
 * and the rustup installer GitLab's Go-image jobs fetch by the sha256 of the
 * file at its versioned URL. Keyed by the reference the templates derive
 * (from toolchains where a version lives there), so bumping toolchains.go,
 * toolchains.rust or toolchains.rustup needs the new digest here too
 * (`docker buildx imagetools inspect IMAGE:TAG` prints an image's).
 */
export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const DEFAULT_PINS: Record<string, string> = {
  "golang:1.26-bookworm": "sha256:9fdc884aacc3bec89b20ffc69f4bb369c78210e3e4f600387b5128b12c199f81",
  "rust:1.95.0-bookworm": "sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1",
  "gcr.io/distroless/static-debian12:nonroot": "sha256:f5b485ea962d9bd1186b2f6b3a061191539b905b82ec395de78cbfae51f20e35",
  "gcr.io/distroless/cc-debian12:nonroot": "sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f",
  // GitLab's image jobs: the Docker client, the daemon it talks to, and the BuildKit both providers build with.
  "docker:29.7-cli": "sha256:27a51d5ab1cd38d9eeaba7b415b8c07bc10c31e1cf1ec8d78f6413fcfab3f44f",
  "docker:29.7-dind": "sha256:084e385b0c9b7ab35d5a46dfedd033721448c000dbec71adcf13da8a9e71baa8",
  "moby/buildkit:v0.29.0": "sha256:0039c1d47e8748b5afea56f4e85f14febaf34452bd99d9552d2daa82262b5cc5",
  // GitLab's sync job.
  "node:22-bookworm-slim": "sha256:48e4b67d85f87bd551df43704e24d252f56cc5f8e9718841aace50f19948f0f9",
  "static.rust-lang.org/rustup/archive/1.28.2/x86_64-unknown-linux-gnu/rustup-init": "sha256:20a06e644b0d9bd2fbdbfd52d42540bdde820ea7df86e92e533c073da0cdd43c",
  "static.rust-lang.org/rustup/archive/1.28.2/aarch64-unknown-linux-gnu/rustup-init": "sha256:e3853c5a252fca15252d07cb23a1bdd9377a8c6f3efa01531109281ae47f841c",
  // buf 1.75.0's Linux x64 package: GitHub's proto job, and the Makefile on Linux x86_64. Its sha512 matched the npm registry's
  // dist.integrity (sha512-YGGJAx0l...) when this sha256 was taken from the tarball, in December 2026.
  "registry.npmjs.org/@bufbuild/buf-linux-x64/-/buf-linux-x64-1.75.0.tgz": "sha256:98b19d4b2b46130e083157490c54dfdcb8ea771e53204d3c6a06a2b12edd0503",
};
export const BASE_IMAGES = z
  .record(z.string().min(1), z.string().regex(DIGEST_RE, { message: "use sha256: and the 64 hex digits of the image index (or of the file)" }))
  .describe(
    "Digests by reference (IMAGE:TAG or a download's URL without https:// -> sha256:...). The defaults were taken from " +
      "docker-library/repo-info (golang:1.26-bookworm in November 2026; docker:29.7-cli, docker:29.7-dind and " +
      "node:22-bookworm-slim as recorded there in August and September 2026; rustup-init 1.28.2 from the rust images' " +
      "Dockerfiles recorded there) and from public repositories that pin the same index (rust:1.95.0-bookworm, " +
      "gcr.io/distroless/*-debian12:nonroot, moby/buildkit:v0.29.0); the generator's build machine cannot reach the " +
      "registries, so check them with `docker buildx imagetools inspect` (and sha256sum) before you rely on them.",
  )
  .default(DEFAULT_PINS);

/**
 * A recorded `images` map gains the defaults it lacks: a newer generator that
 * pulls one more image or tool brings its digest, while every digest the
 * team recorded (or bumped) stays as it is.
 */
export function imagePins(input: unknown): unknown {
  if (input === null || typeof input !== "object") return input;
  const m = input as { images?: unknown };
  if (m.images === null || typeof m.images !== "object" || Array.isArray(m.images)) return input;
  return { ...m, images: { ...DEFAULT_PINS, ...(m.images as Record<string, unknown>) } };
}

/** The rust image the Dockerfiles and GitLab's jobs build with, for toolchains.rust RELEASE (its key in `images`). */
export const rustImage = (release: string) => `rust:${release}-bookworm`;

/**
 * The patch releases of a Rust minor this tool pins an image digest for
 * (its own version table): the one a MAJOR.MINOR recorded by an older
 * release is taken to mean (manifest-migrations.ts).
 */
export function pinnedRustReleases(minor: string): { release: string; digest: string }[] {
  return Object.entries(DEFAULT_PINS).flatMap(([ref, digest]) => {
    const release = /^rust:(\d+\.\d+\.\d+)-bookworm$/.exec(ref)?.[1];
    return release?.startsWith(`${minor}.`) ? [{ release, digest }] : [];
  });
}

/** Where rustup-init RELEASE for TARGET is downloaded from, less https:// (its key in `images`). */
export const rustupInit = (release: string, target: string) => `static.rust-lang.org/rustup/archive/${release}/${target}/rustup-init`;
/**
 * The npm package holding buf RELEASE's Linux x64 binary (the one @bufbuild/buf's
 * installer would pick on GitHub's ubuntu-24.04 runners and on a developer's
 * Linux x86_64 machine), less https:// (its key in `images`).
 */
export const bufLinuxX64 = (release: string) => `registry.npmjs.org/@bufbuild/buf-linux-x64/-/buf-linux-x64-${release}.tgz`;
/** GitHub's hosted runners (ubuntu-24.04) are x86_64: the one rustup-init they fetch. */
export const GITHUB_RUSTUP_TARGET = "x86_64-unknown-linux-gnu";

/**
 * Distribution packages CI jobs install, at exact versions, as `NAME=VERSION`
 * for apt-get and apk alike. Each belongs to the image its job runs on: bump
 * it with that image. Debian and Alpine keep only the newest build of a
 * package in a release's index, so a rebuild there (a new -rN or +debNuN)
 * fails the install at once rather than changing it: bump the version here.
 */
export const CI_PACKAGES = {
  /**
   * GitLab's smoke job (golang:*-bookworm, Debian 12): moto's virtualenv.
   * bookworm/main's only build, checked with `apt-cache policy python3-venv`
   * on Debian 12. Its dependencies (python3.11-venv and below) follow the
   * point release the image was built from.
   */
  python3Venv: "python3-venv=3.11.2-1+b1",
  /**
   * GitLab's publish job (docker:29.7-cli, Alpine 3.23: docker-library's
   * 29/cli Dockerfile). Not checked from the generator's build machine, which
   * reaches no Alpine mirror: the version public Dockerfiles on alpine:3.23
   * pin; check it with `apk policy skopeo` in that image.
   */
  skopeo: "skopeo=1.20.0-r8",
} as const;

/**
 * The deploy job's tools (deploy/kubernetes/check.sh), pinned by version and
 * installed with `go install`, so the Go checksum database checks each
 * module's hash as go.sum does (a re-tagged release fails the install). The
 * Kubernetes schemas kubeconform fetches are read at one commit of
 * yannh/kubernetes-json-schema, never its moving master; the KEDA ones are
 * vendored under deploy/kubernetes/schemas. validate's standalone kustomize
 * is this one (src/validate/linters.ts).
 */
export const DEPLOY_CHECK = {
  kustomize: { module: "sigs.k8s.io/kustomize/kustomize/v5", version: "5.8.1" },
  kubeconform: { module: "github.com/yannh/kubeconform/cmd/kubeconform", version: "0.7.0" },
  // The commit that holds v1.33.0's schemas (v1.33.0-standalone/index.json), from the public repository's history.
  // kubeconform -strict reads v1.33.0-standalone-strict: that repository's build.sh writes the
  // -standalone-strict folder of a version in the same step as its -standalone one, before it.
  schemas: "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/8d21367eb974e6a9b6cfd19c6d2a209a962d7769",
} as const;

/** The hosts GitLab's Go-image jobs install Rust on (`uname -m` -> rustup target). */
export const RUSTUP_TARGETS = { x86_64: "x86_64-unknown-linux-gnu", aarch64: "aarch64-unknown-linux-gnu" } as const;
export const DOCKER_CLI = "docker:29.7-cli";
export const DOCKER_DIND = "docker:29.7-dind";
export const BUILDKIT = "moby/buildkit:v0.29.0";
export const NODE = "node:22-bookworm-slim";

interface PinScope {
  toolchains: { go: string; rust: string; rustup: string; buf: string };
  docker: boolean;
  ci: { providers: readonly string[] };
}

/** Every reference this project's Dockerfiles and CI files pull; each needs a digest in `images`. */
export function baseImages(m: PinScope): string[] {
  const gitlab = m.ci.providers.includes("gitlab");
  const refs: string[] = [];
  if (m.docker || gitlab) refs.push(`golang:${m.toolchains.go}-bookworm`, rustImage(m.toolchains.rust));
  if (m.docker) refs.push("gcr.io/distroless/static-debian12:nonroot", "gcr.io/distroless/cc-debian12:nonroot");
  if (gitlab) refs.push(NODE, ...Object.values(RUSTUP_TARGETS).map((t) => rustupInit(m.toolchains.rustup, t)));
  if (m.ci.providers.includes("github")) {
    const runner = rustupInit(m.toolchains.rustup, GITHUB_RUSTUP_TARGET);
    refs.push(...(refs.includes(runner) ? [] : [runner]));
  }
  // GitHub's proto job and the Makefile's buf on Linux x86_64, so every repo has it.
  refs.push(bufLinuxX64(m.toolchains.buf));
  if (m.docker && gitlab) refs.push(DOCKER_CLI, DOCKER_DIND);
  if (m.docker && m.ci.providers.length > 0) refs.push(BUILDKIT);
  return refs;
}

/**
 * The GitHub Actions pins belong to the GitHub workflow: a repo without it
 * records none (nothing would use them), and adding GitHub later
 * (`add ci github`, or the provider in the file) brings the defaults back,
 * while pins already recorded are kept as the team bumped them.
 */
export function actionPins(input: unknown): unknown {
  if (input === null || typeof input !== "object") return input;
  const m = input as { ci?: unknown };
  // Only an absent ci takes the defaults: a null is a value, and the schema refuses it.
  const ci = m.ci === undefined ? {} : m.ci;
  if (!isPlainObject(ci)) return input;
  const providers = ci.providers === undefined ? ["github"] : ci.providers;
  const github = Array.isArray(providers) && providers.includes("github");
  if (github) return "actions" in ci ? input : { ...m, ci: { ...ci, actions: {} } };
  if (!("actions" in ci)) return input;
  const { actions: _dropped, ...rest } = ci;
  return { ...m, ci: rest };
}

/** What the CI templates pull besides the toolchain images: references, and rustup-init per host with its sha256. */
export function ciPins(m: PinScope & { images: Record<string, string>; orchestrator: { ingress: string }; deploy: readonly string[] }) {
  const sha256 = (ref: string) => {
    const digest = m.images[ref];
    if (!digest) throw new Error(`no sha256 for ${ref} in images`);
    return digest.slice("sha256:".length);
  };
  const github = m.ci.providers.includes("github");
  return {
    packages: CI_PACKAGES,
    /** The ones GitLab's jobs install here: smoke's for a queue preset's moto, publish's where there are images. */
    gitlabPackages: !m.ci.providers.includes("gitlab") ? [] : [...(m.orchestrator.ingress !== "http" ? [CI_PACKAGES.python3Venv] : []), ...(m.docker ? [CI_PACKAGES.skopeo] : [])],
    // GitHub's runners: rustup-init and buf, each fetched at its version and checked against its sha256.
    githubRustupInit: github ? { target: GITHUB_RUSTUP_TARGET, sha256: sha256(rustupInit(m.toolchains.rustup, GITHUB_RUSTUP_TARGET)) } : null,
    // buf's Linux x64 release, fetched and checked by GitHub's proto job and by the Makefile on such a host.
    buf: { url: `https://${bufLinuxX64(m.toolchains.buf)}`, sha256: sha256(bufLinuxX64(m.toolchains.buf)) },
    // The deploy job's tools, for a repo with deploy/kubernetes to check (null: no deploy job).
    deployCheck: m.deploy.includes("kubernetes") ? DEPLOY_CHECK : null,
    dockerCli: DOCKER_CLI,
    dockerDind: DOCKER_DIND,
    buildkit: BUILDKIT,
    node: NODE,
    // Only GitLab's jobs fetch it, so only they need (and the schema requires) its sha256.
    rustupInit: !m.ci.providers.includes("gitlab") ? [] : Object.entries(RUSTUP_TARGETS).map(([arch, target]) => {
      const digest = m.images[rustupInit(m.toolchains.rustup, target)];
      if (!digest) throw new Error(`no sha256 for ${rustupInit(m.toolchains.rustup, target)} in images`);
      return { arch, target, sha256: digest.slice("sha256:".length) };
    }),
  };
}
